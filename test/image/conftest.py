"""pytest set-up for the image tests: the e2e harness (clients, unbound, the fake API server)
and the image under test, which `make image` builds (deploy/image/build)."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

import podman  # noqa: E402


@pytest.fixture(scope="session")
def image():
    """The image's name; the test fails (not skips) when it has not been built."""
    if not podman.image_exists(podman.IMAGE):
        pytest.fail(f"image {podman.IMAGE} not found: run `make image` first")
    return podman.IMAGE


@pytest.fixture
def containers():
    """Factory: containers(**podman.Container kwargs) -> a started podman.Container. Each one
    is removed at teardown (its logs printed, shown when the test fails)."""
    started = []

    def start(**kw):
        c = podman.Container(**kw)
        started.append(c)
        return c.start()

    yield start
    for c in reversed(started):
        print(f"\n===== container {c.name} =====\n{c.logs()}")
        c.remove()
