"""Containers run with podman as a kubelet would run them, for the image tests.

The podman settings this machine needs (runtime, limits) and the image's name come from
deploy/image/podman-env, the file `make image` reads too, so there is one place for them.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import time
from pathlib import Path
from typing import Optional, Sequence

SOURCE_DIR = Path(os.environ.get("CXXDNS_SOURCE") or Path(__file__).resolve().parents[2])
PODMAN_ENV = SOURCE_DIR / "deploy/image/podman-env"


def _podman_env() -> tuple[list, str]:
    out = subprocess.run(
        ["bash", "-c", f'. "{PODMAN_ENV}"; echo "$IMAGE"; printf "%s\\n" "${{PODMAN_ARGS[@]}}"'],
        check=True, capture_output=True, text=True, timeout=10).stdout.splitlines()
    return out[1:], out[0]


PODMAN_ARGS, IMAGE = _podman_env()
_names = itertools.count()


def podman(*args, check=True, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], check=check, capture_output=True, text=True,
                          timeout=timeout)


def image_exists(image: str) -> bool:
    return podman("image", "exists", image, check=False).returncode == 0


def security_flags(security_context: dict) -> list:
    """podman flags for a Kubernetes container securityContext (the fields kubeadm's CoreDNS
    Deployment sets, and runAsUser/runAsNonRoot)."""
    sc = security_context or {}
    flags = []
    if sc.get("allowPrivilegeEscalation") is False:
        flags += ["--security-opt", "no-new-privileges"]
    caps = sc.get("capabilities") or {}
    flags += [f"--cap-drop={c}" for c in caps.get("drop", [])]
    flags += [f"--cap-add={c}" for c in caps.get("add", [])]
    if sc.get("readOnlyRootFilesystem"):
        # As a kubelet: no tmpfs on /tmp, /run, /var/tmp that podman adds by default.
        flags += ["--read-only", "--read-only-tmpfs=false"]
    if "runAsUser" in sc:
        flags += ["--user", str(sc["runAsUser"])]
    return flags


class Container:
    """One `podman run -d` of the image. network="host" shares this machine's network (the
    test then binds 127.0.0.1 only); "none" gives the container its own namespace with only
    a loopback interface."""

    def __init__(self, image: str, args: Sequence[str] = (), *, network: str = "host",
                 mounts: Sequence[tuple] = (), env: Optional[dict] = None,
                 security_context: Optional[dict] = None):
        self.image, self.args = image, list(args)
        self.network, self.mounts, self.env = network, list(mounts), dict(env or {})
        self.security_context = security_context
        self.name = f"cxxdns-test-{os.getpid()}-{next(_names)}"
        self.id = None

    def start(self) -> "Container":
        cmd = ["run", "-d", "--name", self.name, *PODMAN_ARGS, f"--network={self.network}"]
        cmd += security_flags(self.security_context)
        for src, dst in self.mounts:
            cmd += ["-v", f"{src}:{dst}:ro"]
        for k, v in self.env.items():
            cmd += ["-e", f"{k}={v}"]
        self.id = podman(*cmd, self.image, *self.args).stdout.strip()
        return self

    def inspect(self, fmt: str) -> str:
        return podman("inspect", "--format", fmt, self.name).stdout.strip()

    def running(self) -> bool:
        return self.inspect("{{.State.Running}}") == "true"

    def pid(self) -> int:
        """The container's first process (cxxdns) as this machine sees it."""
        return int(self.inspect("{{.State.Pid}}"))

    def exit_code(self) -> int:
        return int(self.inspect("{{.State.ExitCode}}"))

    def wait_exit(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.running():
            if time.monotonic() > deadline:
                raise AssertionError(f"container {self.name} still running after {timeout} s")
            time.sleep(0.05)
        return self.exit_code()

    def signal(self, sig: str) -> None:
        podman("kill", "--signal", sig, self.name)

    def exec(self, *args) -> subprocess.CompletedProcess:
        return podman("exec", self.name, *args, check=False, timeout=30)

    def logs(self) -> str:
        r = podman("logs", self.name, check=False)
        return r.stdout + r.stderr

    def remove(self) -> None:
        podman("rm", "-f", "-t", "0", self.name, check=False)
