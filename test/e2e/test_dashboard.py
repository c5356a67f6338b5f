"""deploy/grafana-dashboard.json works unchanged with cxxdns: every metric its PromQL asks
for is exported by kubeadm's Corefile (Corefile.examples/kube-system.Corefile, on free
127.0.0.1 ports, with the bundled cluster state and a resolv.conf of this test's own), once
the server has done what a cluster DNS does: answered cluster and outside names over UDP and
TCP, NXDOMAIN, a cache hit, an upstream that is down (health checks fail), and an endpoint
change in the cluster."""
import datetime
import json
import os
import re
from pathlib import Path

import pytest

import harness
import kubeadm
from harness import SOURCE_DIR, http_get, kdig, wait_until

DASHBOARD = Path(SOURCE_DIR) / "deploy" / "grafana-dashboard.json"
LIVE_UPSTREAM = "127.0.0.73"  # an unbound on port 53 (resolv.conf names no port)
DEAD_UPSTREAM = "127.0.0.72"  # nothing listens there: forward's health checks fail
METRIC_NAME = re.compile(r"\b((?:coredns|process)_[a-z0-9_]+)\b")

# The dashboard's names that cxxdns does not export yet, each an expected failure. When one
# lands, its test passes unexpectedly and fails (strict): delete its line here.
MISSING_TODAY: dict = {}


def dashboard_queries() -> list:
    """Every PromQL expression of the dashboard: panel targets and template variables."""
    found = []

    def walk(node, key=None):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key in ("expr", "query", "definition"):
            found.append(node)

    walk(json.loads(DASHBOARD.read_text()))
    return found


def dashboard_metrics() -> list:
    return sorted({m for q in dashboard_queries() for m in METRIC_NAME.findall(q)})


def sample_names(metrics_text: str) -> set:
    return {re.split(r"[{ ]", line, maxsplit=1)[0]
            for line in metrics_text.splitlines() if line and not line.startswith("#")}


def endpoint_change(state: dict, address: str) -> str:
    """The state with the endpoints of prod/db (headless) moved to `address`, stamped as the
    API stamps an EndpointSlice change (the trigger time programming latency counts from)."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for item in state["items"]:
        m = item["metadata"]
        if item["kind"] == "EndpointSlice" and m["labels"].get(
                "kubernetes.io/service-name") == "db":
            item["endpoints"] = [{"addresses": [address], "conditions": {"ready": True}}]
            m.setdefault("annotations", {})[
                "endpoints.kubernetes.io/last-change-trigger-time"] = now
    return json.dumps(state, indent=2)


def metrics_text(m_port: int) -> str:
    status, text = http_get(m_port, "/metrics")
    assert status == 200
    return text


def exercise(srv, m_port: int, state_path: Path, state: dict) -> None:
    port = srv.port
    cluster = "web.prod.svc.cluster.local"
    assert kdig(cluster, "A", port).rdatas("A") == ["10.96.10.10"]
    assert kdig(cluster, "A", port, tcp=True).rdatas("A") == ["10.96.10.10"]
    assert kdig("10.10.96.10.in-addr.arpa", "PTR", port).rdatas("PTR") == [cluster + "."]
    assert kdig("nothing.prod.svc.cluster.local", "A", port).rcode == "NXDOMAIN"
    # Outside names through forward, some to the dead upstream, until a health check fails.
    for i in range(20):
        kdig(f"host{i}.example.net", "A", port, check=False)
    assert kdig("www.example.net", "A", port).rdatas("A") == ["192.0.2.10"]
    assert kdig("www.example.net", "A", port).rdatas("A") == ["192.0.2.10"]  # a cache hit
    failed = re.compile(r'^coredns_(forward|proxy)_healthcheck_failures_total\{[^}]*to="'
                        + re.escape(DEAD_UPSTREAM) + ":53", re.M)
    wait_until(lambda: failed.search(metrics_text(m_port)), 10,
               what="a failed health check of the dead upstream")
    # An endpoint change in the cluster, as the API would send it.
    tmp = state_path.with_suffix(".tmp")
    tmp.write_text(endpoint_change(state, "10.244.1.99"))
    os.replace(tmp, state_path)
    srv.wait_for_log(r"loaded \S+cluster\.json(.|\n)*loaded \S+cluster\.json", timeout=10)
    # Asked only now: no cached answer from before the change.
    assert kdig("db.prod.svc.cluster.local", "A", port).rdatas("A") == ["10.244.1.99"]
    # The change is one programming latency observed (the first load was none), counted
    # from its trigger time: under a minute, since the test stamped it just now.
    text = metrics_text(m_port)
    kind = 'service_kind="headless_with_selector"'
    count = re.search(r"^coredns_kubernetes_dns_programming_duration_seconds_count\{"
                      + kind + r"\} (\S+)$", text, re.M)
    total = re.search(r"^coredns_kubernetes_dns_programming_duration_seconds_sum\{"
                      + kind + r"\} (\S+)$", text, re.M)
    assert count and float(count.group(1)) == 1, text
    assert total and 0 <= float(total.group(1)) < 60, text


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The sample names /metrics has after the server was exercised."""
    tmp = tmp_path_factory.mktemp("dashboard")
    port, h_port, r_port, m_port = (harness.free_port() for _ in range(4))
    state = json.loads((Path(SOURCE_DIR) / "test/data/k8s/cluster.json").read_text())
    state_path = tmp / "cluster.json"
    state_path.write_text(json.dumps(state))
    resolv = tmp / "resolv.conf"
    resolv.write_text(f"nameserver {LIVE_UPSTREAM}\nnameserver {DEAD_UPSTREAM}\n")
    text = (Path(SOURCE_DIR) / "Corefile.examples" / "kube-system.Corefile").read_text()
    text = kubeadm.on_loopback(text, port, h_port, r_port, m_port)
    text = re.sub(r"^(\s*)state \S+$", rf"\g<1>state {state_path}", text, count=1, flags=re.M)
    text = text.replace("forward . /etc/resolv.conf", f"forward . {resolv}", 1)
    with harness.Unbound(local_zones=["example.net."],
                         local_data=["www.example.net. 300 IN A 192.0.2.10"],
                         extra=f"  interface: {LIVE_UPSTREAM}@53\n", tmpdir=tmp / "unbound"), \
            harness.Cxxdns(text, port=port, tmpdir=tmp / "cxxdns") as srv:
        wait_until(lambda: http_get(r_port, "/ready") == (200, "OK"), 10, what="/ready 200")
        exercise(srv, m_port, state_path, state)
        names = sample_names(metrics_text(m_port))
        assert srv.stop() == 0
    return names


def test_dashboard_queries_metrics():
    names = dashboard_metrics()
    assert len(dashboard_queries()) >= 20 and len(names) >= 15, names
    # Every name listed as missing is one the dashboard asks for.
    assert set(MISSING_TODAY) <= set(names), set(MISSING_TODAY) - set(names)


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=MISSING_TODAY[n]))
    if n in MISSING_TODAY else n for n in dashboard_metrics()])
def test_dashboard_metric_is_exported(exported, name):
    assert name in exported, f"{name} is not in /metrics"


def test_dashboard_is_a_grafana_dashboard():
    dash = json.loads(DASHBOARD.read_text())
    assert dash["uid"] and dash["title"] and dash["schemaVersion"] >= 30
    panels = dash["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    for p in panels:
        if p["type"] == "row":
            continue
        assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, p["title"]
        assert p["targets"] and all(t["expr"] and t["refId"] for t in p["targets"]), p["title"]
    variables = {v["name"] for v in dash["templating"]["list"]}
    assert {"datasource", "job", "instance"} <= variables
