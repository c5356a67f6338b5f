"""deploy/: the container as Kubernetes runs it, without a container engine. The binary is
started with exactly the args of deploy/coredns-deployment-patch.yaml (`-conf
/etc/coredns/Corefile`, under a temp root), on kubeadm's stock ConfigMap Corefile (no `state`
line: in-cluster), with the service-account files where the pod has them (the directory given
by CXXDNS_SERVICEACCOUNT_DIR) and KUBERNETES_SERVICE_HOST/PORT naming a fake API server. The
manifest's probes must pass and cluster and outside names must resolve."""
import os
import urllib.request
from pathlib import Path

import pytest
import yaml

import harness
from fake_apiserver import FakeApiServer, endpointslice, make_certs, namespace, service
from harness import SOURCE_DIR, http_get, kdig, wait_until

DEPLOY = Path(SOURCE_DIR) / "deploy"
UPSTREAM_ADDR = "127.0.0.78"  # resolv.conf names no port: the upstream answers on 53

# kubeadm's kube-system/coredns ConfigMap, as it ships.
STOCK_COREFILE = """.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
"""


def container():
    patch = yaml.safe_load((DEPLOY / "coredns-deployment-patch.yaml").read_text())
    (c,) = [c for c in patch["spec"]["template"]["spec"]["containers"] if c["name"] == "coredns"]
    return c




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
    assert "FROM debian:12-slim" in dockerfile and "USER 65532" in dockerfile


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
