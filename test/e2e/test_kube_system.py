"""kubeadm's stock Corefile (Corefile.examples/kube-system.Corefile), changed in three places
only: the port, the `state` line pointing at the fixture, and the forward target (a
resolv.conf of this test's own, naming a loopback upstream). It must pass its health and ready
probes, serve metrics, and answer cluster and outside names."""
import re

import harness
from harness import SOURCE_DIR, http_get, kdig, wait_until

# The upstream answers port 53 on its own loopback address: a resolv.conf names no port.
UPSTREAM_ADDR = "127.0.0.77"




def stock_corefile(port, state, resolv_conf):
    text = (SOURCE_DIR / "Corefile.examples" / "kube-system.Corefile").read_text()
    changed = text.replace(".:53 {", f".:{port} {{", 1)
    changed = re.sub(r"^(\s*)state \S+$", rf"\g<1>state {state}", changed, count=1, flags=re.M)
    changed = changed.replace("forward . /etc/resolv.conf", f"forward . {resolv_conf}", 1)
    # Exactly three lines differ from the stock file.
    diff = [a for a, b in zip(text.splitlines(), changed.splitlines()) if a != b]
    assert len(diff) == 3, diff
    return changed


def test_stock_kube_system_corefile(start_cxxdns, start_unbound, tmp_path):
    up = start_unbound(local_zones=["example.net."],
                       local_data=["www.example.net. 300 IN A 192.0.2.10"],
                       extra=f"  interface: {UPSTREAM_ADDR}@53\n")
    (tmp_path / "resolv.conf").write_text(f"nameserver {UPSTREAM_ADDR}\noptions ndots:5\n")
    fixture = SOURCE_DIR / "test" / "data" / "k8s" / "cluster.json"
    port = harness.free_wildcard_port()  # the stock Corefile listens on every address
    srv = start_cxxdns(stock_corefile(port, fixture, tmp_path / "resolv.conf"), port=port)

    # The probes kubelet uses, and the metrics endpoint Prometheus scrapes.
    wait_until(lambda: http_get(8181, "/ready") == (200, "OK"), 10, what="/ready 200")
    assert http_get(8080, "/health") == (200, "OK")

    # A cluster name, a reverse cluster name, and an outside name through forward.
    r = kdig("web.prod.svc.cluster.local", "A", port)
    assert r.rcode == "NOERROR" and r.rdatas("A") == ["10.96.10.10"], r.raw
    assert "aa" in r.flags
    r = kdig("10.10.96.10.in-addr.arpa", "PTR", port)
    assert r.rdatas("PTR") == ["web.prod.svc.cluster.local."], r.raw
    r = kdig("www.example.net", "A", port)
    assert r.rcode == "NOERROR" and r.rdatas("A") == ["192.0.2.10"], r.raw
    r = kdig("nothing.prod.svc.cluster.local", "A", port)
    assert r.rcode == "NXDOMAIN", r.raw

    status, metrics = http_get(9153, "/metrics")
    assert status == 200
    assert re.search(r'^coredns_dns_requests_total\{server="dns://:' + str(port) +
                     r'",zone="\.",view="",proto="udp",family="1",type="A"\} [1-9]', metrics,
                     re.M), metrics[:2000]
    assert "coredns_build_info{" in metrics
    # The plugins' own counters: the outside name went through cache (a miss) to forward.
    assert re.search(r'^coredns_forward_requests_total\{to="127\.0\.0\.77:53"\} [1-9]', metrics,
                     re.M), metrics
    assert re.search(r'^coredns_cache_misses_total [1-9]', metrics, re.M), metrics
    assert re.search(r'^coredns_forward_request_duration_seconds_count\{to="127\.0\.0\.77:53"\} '
                     r'[1-9]', metrics, re.M), metrics
    assert 'coredns_forward_request_duration_seconds_bucket{to="127.0.0.77:53",le="0.00025"}' \
        in metrics
    assert re.search(r'^coredns_cache_entries\{type="success"\} [1-9]', metrics, re.M), metrics
    assert srv.stop() == 0
