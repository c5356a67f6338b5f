"""deploy/: the container as Kubernetes runs it, without a container engine. The binary is
started with exactly the args of deploy/coredns-deployment-patch.yaml (`-conf
/etc/coredns/Corefile`, under a temp root), on kubeadm's stock ConfigMap Corefile (no `state`
line: in-cluster), with the service-account files where the pod has them (the directory given
by CXXDNS_SERVICEACCOUNT_DIR) and KUBERNETES_SERVICE_HOST/PORT naming a fake API server. The
manifest's probes must pass and cluster and outside names must resolve."""
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

import harness
from fake_apiserver import FakeApiServer, endpointslice, make_certs, namespace, service
from harness import http_get, kdig, wait_until
from kubeadm import DEPLOY, STOCK_COREFILE, coredns_container as container

UPSTREAM_ADDR = "127.0.0.78"  # resolv.conf names no port: the upstream answers on 53


def test_manifest_rbac_dockerfile_agree():
    c = container()
    assert c["args"] == ["-conf", "/etc/coredns/Corefile"]
    assert {(p["containerPort"], p["protocol"]) for p in c["ports"]} == {
        (53, "UDP"), (53, "TCP"), (9153, "TCP")}
    assert (c["livenessProbe"]["httpGet"]["path"], c["livenessProbe"]["httpGet"]["port"]) == (
        "/health", 8080)
    assert (c["readinessProbe"]["httpGet"]["path"], c["readinessProbe"]["httpGet"]["port"]) == (
        "/ready", 8181)
    docs = list(yaml.safe_load_all((DEPLOY / "rbac.yaml").read_text()))
    (role,) = [d for d in docs if d["kind"] == "ClusterRole"]
    rules = {(g, r): set(rule["verbs"]) for rule in role["rules"]
             for g in rule["apiGroups"] for r in rule["resources"]}
    for res in ("endpoints", "services", "pods", "namespaces"):
        assert rules[("", res)] == {"list", "watch"}
    assert rules[("discovery.k8s.io", "endpointslices")] == {"list", "watch"}
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["/usr/bin/cxxdns"]' in dockerfile
    assert "ARG BASE=debian:12-slim" in dockerfile and "USER 65532" in dockerfile
    # Every stage starts from BASE (compiled, prebuilt, runtime), but the one that picks the
    # binary's stage (BINARY).
    froms = [line for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert [f.split()[1] for f in froms] == ["${BASE}", "${BASE}", "${BINARY}", "${BASE}"], froms


def test_container_command_in_cluster(start_cxxdns, start_unbound, tmp_path):
    c = container()
    live, ready = c["livenessProbe"]["httpGet"], c["readinessProbe"]["httpGet"]
    root = tmp_path / "root"
    certs = make_certs(tmp_path)
    up = start_unbound(local_zones=["example.net."],
                       local_data=["www.example.net. 300 IN A 192.0.2.10"],
                       extra=f"  interface: {UPSTREAM_ADDR}@53\n")
    # The pod's files: the ConfigMap at /etc/coredns/Corefile, its resolv.conf, and the
    # service account. Only ports (free ones here) and the resolv.conf path under the temp
    # root differ from the stock Corefile.
    # The stock Corefile listens on every address: its port must be free on all of them.
    port = harness.free_wildcard_port()
    h_port, r_port, m_port = (harness.free_port() for _ in range(3))
    (root / "etc/coredns").mkdir(parents=True)
    (root / "etc/resolv.conf").write_text(f"nameserver {UPSTREAM_ADDR}\n")
    corefile = (STOCK_COREFILE.replace(".:53 {", f".:{port} {{")
                .replace("health {", f"health 127.0.0.1:{h_port} {{")
                .replace("    ready\n", f"    ready 127.0.0.1:{r_port}\n")
                .replace("prometheus :9153", f"prometheus 127.0.0.1:{m_port}")
                .replace("/etc/resolv.conf", str(root / "etc/resolv.conf")))
    (root / "etc/coredns/Corefile").write_text(corefile)
    sa = root / "var/run/secrets/kubernetes.io/serviceaccount"
    sa.mkdir(parents=True)
    (sa / "token").write_text("pod-token")
    (sa / "namespace").write_text("kube-system")
    (sa / "ca.crt").write_bytes(Path(certs["server_cert"]).read_bytes())

    api = FakeApiServer(certs, token="pod-token", start=False)
    api.port = harness.free_port()
    env = dict(os.environ, KUBERNETES_SERVICE_HOST="127.0.0.1",
               KUBERNETES_SERVICE_PORT=str(api.port), CXXDNS_SERVICEACCOUNT_DIR=str(sa))
    # The container's command: the image's ENTRYPOINT plus the manifest's args, with the
    # absolute Corefile path under the temp root.
    args = [str(root) + a if a.startswith("/etc/") else a for a in c["args"]]
    srv = start_cxxdns(None, port=port, args=args, env=env, ready_timeout=15)
    try:
        # The API is not up: the server started anyway (after 5 s), alive but not ready,
        # and cluster names fail rather than hang.
        assert http_get(h_port, live["path"]) == (200, "OK")
        assert http_get(r_port, ready["path"])[0] == 503
        assert kdig("kubernetes.default.svc.cluster.local", "A", port).rcode == "SERVFAIL"

        api.put(namespace("default"))
        api.put(service("default", "kubernetes", "10.96.0.1", ports=(("https", "TCP", 443),)))
        api.put(service("default", "web"))
        api.put(endpointslice("default", "web", ["10.244.1.5"]))
        api.start()
        wait_until(lambda: http_get(r_port, ready["path"]) == (200, "OK"), 20,
                   what="readiness probe 200")
        # `cache 30` keeps the earlier SERVFAIL for up to 5 s, as CoreDNS's cache does.
        wait_until(lambda: kdig("kubernetes.default.svc.cluster.local", "A", port).rdatas("A")
                   == ["10.96.0.1"], 10, what="kubernetes.default answered")
        r = kdig("web.default.svc.cluster.local", "A", port)
        assert r.rdatas("A") == ["10.244.1.5"], r.raw
        r = kdig("1.0.96.10.in-addr.arpa", "PTR", port)
        assert r.rdatas("PTR") == ["kubernetes.default.svc.cluster.local."], r.raw
        r = kdig("www.example.net", "A", port)
        assert r.rcode == "NOERROR" and r.rdatas("A") == ["192.0.2.10"], r.raw
        assert api.count(lambda q: q[2] == "Bearer pod-token") >= 3
        status, metrics = http_get(m_port, "/metrics")
        assert status == 200 and "coredns_dns_requests_total" in metrics
    finally:
        api.stop()


def dockerfile_setcap() -> str:
    """The file capability deploy/Dockerfile gives the binary (`setcap SPEC /build/cxxdns`)."""
    m = re.search(r"setcap (\S+) /build/cxxdns", (DEPLOY / "Dockerfile").read_text())
    assert m, "deploy/Dockerfile sets no file capability on the binary"
    return m.group(1)


class NonRootInNetns:
    """The binary as the image's user 65532 runs it, with the image's file capability, in a
    network namespace of its own (only a loopback: port 53 there is free and private).
    keep_bind_cap=False takes NET_BIND_SERVICE out of the bounding set, as a pod spec that
    drops every capability and adds none does."""

    def __init__(self, binary: Path, corefile: Path, keep_bind_cap: bool):
        setpriv = ["setpriv", "--reuid=65532", "--regid=65532", "--clear-groups"]
        if not keep_bind_cap:
            setpriv.append("--bounding-set=-net_bind_service")
        inner = " ".join(setpriv + [str(binary), "-conf", str(corefile)])
        # A non-dumpable process (file capabilities) cannot be traced by LeakSanitizer.
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
        self.proc = subprocess.Popen(
            ["unshare", "-n", "sh", "-c", f"ip link set lo up && exec {inner}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def kdig(self, port: int):
        """kdig from inside the server's network namespace."""
        r = subprocess.run(["nsenter", "-t", str(self.proc.pid), "-n", "kdig", "@127.0.0.1",
                            "-p", str(port), "+timeout=2", "+retry=1", "whoami.example.", "A"],
                           capture_output=True, text=True, timeout=15)
        return harness.parse_kdig(r.stdout, r.stderr, r.returncode)

    def stop(self) -> tuple:
        if self.proc.poll() is None:
            self.proc.terminate()
        out, err = self.proc.communicate(timeout=10)
        return self.proc.returncode, out, err


def test_image_file_capability_for_the_non_root_user(cxxdns_binary):
    # What the Dockerfile's setcap gives the image's user: port 53 when the pod adds
    # NET_BIND_SERVICE; when it does not, the binary still starts (a port above 1023 works)
    # and port 53 fails with a message that says what is missing.
    d = Path(tempfile.mkdtemp(prefix="cxxdns-cap-"))
    try:
        d.chmod(0o755)
        binary = d / "cxxdns"
        shutil.copy(cxxdns_binary, binary)
        subprocess.run(["setcap", dockerfile_setcap(), str(binary)], check=True)
        for port in (53, 1053):
            corefile = f".:{port} {{\n    bind 127.0.0.1\n    whoami\n}}\n"
            (d / f"Corefile{port}").write_text(corefile)
            (d / f"Corefile{port}").chmod(0o644)
        for keep, port in ((True, 53), (False, 1053)):
            srv = NonRootInNetns(binary, d / f"Corefile{port}", keep_bind_cap=keep)
            try:
                wait_until(lambda: srv.proc.poll() is not None or srv.kdig(port).rcode, 10,
                           what=f"an answer on port {port}")
                assert srv.proc.poll() is None, f"port {port}: {srv.stop()}"
                assert srv.kdig(port).rcode == "NOERROR"
            finally:
                rc, out, err = srv.stop()
            assert rc == 0, f"port {port}: exit {rc}\n{out}\n{err}"
        srv = NonRootInNetns(binary, d / "Corefile53", keep_bind_cap=False)
        srv.proc.wait(15)
        rc, out, err = srv.stop()
        assert rc == 1, f"{out}\n{err}"
        assert ("listen tcp/udp 127.0.0.1:53: bind: Permission denied (a port below 1024 needs "
                "the NET_BIND_SERVICE capability") in err, err
    finally:
        shutil.rmtree(d)
