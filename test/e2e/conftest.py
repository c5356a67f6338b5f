"""pytest fixtures for the cxxdns end-to-end tests (see README.md in this folder)."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """CXXDNS_SHARD=I/N keeps every Nth test, from the Ith (0-based): ctest runs a long test
    file as N entries side by side (see test/CMakeLists.txt)."""
    shard = os.environ.get("CXXDNS_SHARD")
    if not shard:
        return
    index, count = (int(x) for x in shard.split("/"))
    kept = [item for n, item in enumerate(items) if n % count == index]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept


@pytest.fixture(scope="session")
def cxxdns_binary():
    """Path of the binary under test; the test fails (not skips) when it is missing."""
    path = harness.cxxdns_bin()
    if not os.access(path, os.X_OK):
        pytest.fail(f"cxxdns binary not found at {path} (set CXXDNS_BIN)")
    return path


def _teardown(procs, request):
    problems = []
    for p in reversed(procs):
        p.close()
        report = p.sanitizer_report() if isinstance(p, harness.Cxxdns) else None
        if report:
            problems.append(f"{p.name} (pid {p.proc.pid}) reported:\n{report[-6000:]}")
        # printed output is shown by pytest only when the test fails
        print(f"\n===== {p.name} on port {p.port} =====\n{p.output_report()}")
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture
def start_cxxdns(cxxdns_binary, tmp_path, request):
    """Factory: start_cxxdns(corefile, **Cxxdns kwargs) -> a running harness.Cxxdns.

    Each server gets its own directory under tmp_path. All are stopped at teardown (SIGTERM,
    then SIGKILL); a sanitizer report in a server's stderr fails the test."""
    procs = []
    counter = [0]

    def start(corefile=None, **kw):
        counter[0] += 1
        kw.setdefault("tmpdir", tmp_path / f"cxxdns{counter[0]}")
        kw.setdefault("binary", cxxdns_binary)
        kw.setdefault("start", True)
        do_start = kw.pop("start")
        srv = harness.Cxxdns(corefile, start=False, **kw)
        procs.append(srv)
        if do_start:
            srv.start(ready=kw.get("ready", True))
        return srv

    yield start
    _teardown(procs, request)


@pytest.fixture
def start_unbound(tmp_path, request):
    """Factory: start_unbound(local_zones=..., local_data=..., **Unbound kwargs) -> a
    running harness.Unbound, stopped at teardown."""
    procs = []
    counter = [0]

    def start(*args, **kw):
        counter[0] += 1
        kw.setdefault("tmpdir", tmp_path / f"unbound{counter[0]}")
        u = harness.Unbound(*args, **kw)
        procs.append(u)
        return u

    yield start
    _teardown(procs, request)


@pytest.fixture
def start_etcd(tmp_path, request):
    """Factory: start_etcd(**Etcd kwargs) -> a running harness.Etcd (a real etcd on
    127.0.0.1), stopped by its PID at teardown."""
    procs = []
    counter = [0]

    def start(**kw):
        counter[0] += 1
        kw.setdefault("tmpdir", tmp_path / f"etcd{counter[0]}")
        e = harness.Etcd(**kw)
        procs.append(e)
        return e

    yield start
    _teardown(procs, request)
