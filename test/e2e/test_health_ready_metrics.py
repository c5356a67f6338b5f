"""health, ready and prometheus over real HTTP, and loadbalance over real DNS: the real
binary on free loopback ports, probed with urllib/raw sockets and kdig."""

import re
import signal
import socket
import time
import urllib.error
import urllib.request

import pytest

from harness import free_port, kdig

COREFILE = """.:{PORT} {
    bind 127.0.0.1
    health 127.0.0.1:%(health)d {
        lameduck %(lameduck)s
    }
    ready 127.0.0.1:%(ready)d
    prometheus 127.0.0.1:%(metrics)d
    %(extra)s
    hosts {
        10.0.0.1 multi.example.
        10.0.0.2 multi.example.
        10.0.0.3 multi.example.
        10.0.0.4 multi.example.
        10.0.0.9 single.example.
    }
}
"""


def http_get(port, path, method="GET"):
    """(status, body) of one request to 127.0.0.1:port."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def raw_http(port, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return out
            out += chunk


def start(start_cxxdns, extra="", lameduck="1s", **kw):
    ports = {"health": free_port(), "ready": free_port(), "metrics": free_port()}
    srv = start_cxxdns(COREFILE % dict(ports, extra=extra, lameduck=lameduck), **kw)
    return srv, ports


def metric_value(text, name, labels: dict):
    """The value of `name{labels...}` (labels given must all match; others are ignored)."""
    total = None
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        if all(got.get(k) == v for k, v in labels.items()):
            total = (total or 0) + float(m.group(4))
    return total


def label_sets(text, name):
    out = []
    for line in text.splitlines():
        m = re.match(r"^" + re.escape(name) + r"\{(.*)\} ", line)
        if m:
            out.append(tuple(k for k, _ in re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(1))))
    return out


def test_health_and_ready_answer_ok(start_cxxdns):
    srv, p = start(start_cxxdns)
    assert http_get(p["health"], "/health") == (200, "OK")
    assert http_get(p["ready"], "/ready") == (200, "OK")
    # HEAD works as probes may send it; the path is exact.
    assert http_get(p["health"], "/health", "HEAD")[0] == 200
    assert http_get(p["health"], "/healthz")[0] == 404
    assert http_get(p["ready"], "/health")[0] == 404


def test_bad_requests_get_4xx(start_cxxdns):
    srv, p = start(start_cxxdns)
    assert http_get(p["health"], "/health", "POST")[0] == 405
    assert http_get(p["metrics"], "/metrics", "DELETE")[0] == 405
    assert raw_http(p["health"], b"garbage\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw_http(p["health"], b"GET /health HTTP/9.9\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw_http(p["health"], b"GET " + b"a" * 9000 + b" HTTP/1.1\r\n\r\n").startswith(
        b"HTTP/1.1 400 ")
    # A client that sends half a request and goes away does not hurt the server.
    with socket.create_connection(("127.0.0.1", p["health"]), timeout=5) as s:
        s.sendall(b"GET /hea")
    assert http_get(p["health"], "/health") == (200, "OK")
    assert srv.query("single.example", "A").rcode == "NOERROR"


def test_shared_address_serves_every_endpoint(start_cxxdns):
    port = free_port()
    srv = start_cxxdns(f""".:{{PORT}} {{
    bind 127.0.0.1
    health 127.0.0.1:{port}
    ready 127.0.0.1:{port}
    prometheus 127.0.0.1:{port}
    whoami
}}
example.org:{{PORT}} {{
    bind 127.0.0.1
    prometheus 127.0.0.1:{port}
    whoami
}}
""")
    assert http_get(port, "/health") == (200, "OK")
    assert http_get(port, "/ready") == (200, "OK")
    status, body = http_get(port, "/metrics")
    assert status == 200 and "coredns_build_info" in body
    assert 'zone="example.org."' in body  # plugin_enabled of the second block


@pytest.mark.parametrize("workers", [1, 2])
def test_metrics_count_real_queries(start_cxxdns, workers):
    # With two workers, queries land on both (SO_REUSEPORT): the shards must add up.
    srv, p = start(start_cxxdns, workers=workers)
    server = f"dns://127.0.0.1:{srv.port}"
    _, before = http_get(p["metrics"], "/metrics")
    base = lambda name, **l: metric_value(before, name, dict(server=server, zone=".", **l)) or 0

    n_udp, n_tcp, n_aaaa = 5, 3, 2
    # One try each, waited for long enough: a resend would count twice.
    once = dict(retry=0, timeout=5)
    for _ in range(n_udp):
        assert srv.query("single.example", "A", **once).rcode == "NOERROR"
    for _ in range(n_tcp):
        assert srv.query("single.example", "A", tcp=True, **once).rcode == "NOERROR"
    for _ in range(n_aaaa):
        srv.query("nothing.example", "AAAA", **once)

    status, text = http_get(p["metrics"], "/metrics")
    assert status == 200
    now = lambda name, **l: metric_value(text, name, dict(server=server, zone=".", **l)) or 0

    req = "coredns_dns_requests_total"
    assert now(req, proto="udp", family="1", type="A") - base(
        req, proto="udp", family="1", type="A") == n_udp
    assert now(req, proto="tcp", family="1", type="A") - base(
        req, proto="tcp", family="1", type="A") == n_tcp
    assert now(req, type="AAAA") - base(req, type="AAAA") == n_aaaa
    total = n_udp + n_tcp + n_aaaa
    assert now("coredns_dns_responses_total") - base("coredns_dns_responses_total") == total
    assert now("coredns_dns_responses_total", rcode="NOERROR", plugin="hosts") - base(
        "coredns_dns_responses_total", rcode="NOERROR", plugin="hosts") >= n_udp + n_tcp
    for h in ("coredns_dns_request_duration_seconds", "coredns_dns_request_size_bytes",
              "coredns_dns_response_size_bytes"):
        assert now(h + "_count") - base(h + "_count") == total, h
        assert now(h + "_bucket", le="+Inf") - base(h + "_bucket", le="+Inf") == total, h

    assert set(label_sets(text, req)) == {("server", "zone", "view", "proto", "family", "type")}
    assert set(label_sets(text, "coredns_dns_responses_total")) == {
        ("server", "zone", "view", "rcode", "plugin")}
    # CoreDNS 1.12's histogram has no type label.
    assert set(label_sets(text, "coredns_dns_request_duration_seconds_bucket")) == {
        ("server", "zone", "view", "le")}
    for h in ("coredns_dns_request_size_bytes_bucket", "coredns_dns_response_size_bytes_bucket"):
        assert set(label_sets(text, h)) == {("server", "zone", "view", "proto", "le")}
    assert set(label_sets(text, "coredns_plugin_enabled")) == {("server", "zone", "view", "name")}
    for name in ("hosts", "health", "ready", "prometheus"):
        assert metric_value(text, "coredns_plugin_enabled", {"name": name}) == 1

    # CoreDNS's buckets.
    les = re.findall(r'coredns_dns_request_duration_seconds_bucket\{[^}]*,le="([^"]+)"', text)
    assert les[:3] == ["0.00025", "0.0005", "0.001"] and les[15:17] == ["8.192", "+Inf"]
    assert len(les) % 17 == 0  # 17 per series (one per server and zone)
    les = re.findall(r'coredns_dns_request_size_bytes_bucket\{[^}]*proto="udp",le="([^"]+)"', text)
    assert les == ["0", "100", "200", "300", "400", "511", "1023", "2047", "4095", "8291",
                   "16000", "32000", "48000", "64000", "+Inf"]

    for line in ("# TYPE coredns_dns_requests_total counter",
                 "# TYPE coredns_dns_request_duration_seconds histogram",
                 "# TYPE coredns_plugin_enabled gauge",
                 "# TYPE process_cpu_seconds_total counter",
                 "coredns_panics_total 0", "coredns_reload_failed_total 0"):
        assert line in text.splitlines(), line
    assert re.search(r'^coredns_build_info\{version="[^"]+",revision="[^"]*",goversion="[^"]*"\} 1$',
                     text, re.M)
    for name in ("process_resident_memory_bytes", "process_open_fds",
                 "process_start_time_seconds"):
        assert (metric_value(text, name, {}) or 0) > 0, name
    start_time = metric_value(text, "process_start_time_seconds", {})
    assert abs(start_time - time.time()) < 600
    assert metric_value(text, "process_cpu_seconds_total", {}) >= 0


def test_loadbalance_shuffles_a_multi_address_answer(start_cxxdns):
    srv, _ = start(start_cxxdns, extra="loadbalance round_robin")
    want = sorted(f"10.0.0.{i}" for i in range(1, 5))
    orders = set()
    for _ in range(12):
        r = srv.query("multi.example", "A")
        got = r.rdatas("A")
        assert sorted(got) == want
        orders.add(tuple(got))
    assert len(orders) > 1, orders


def test_without_loadbalance_order_is_stable(start_cxxdns):
    srv, _ = start(start_cxxdns)
    orders = {tuple(srv.query("multi.example", "A").rdatas("A")) for _ in range(6)}
    assert len(orders) == 1


def test_lameduck_keeps_serving_then_exits(start_cxxdns):
    # 3 s: the query (kdig) and the health request must fit in the lameduck on a loaded
    # machine; an exit at once, or a lameduck ignored, still fails.
    srv, p = start(start_cxxdns, lameduck="3s")
    t0 = time.monotonic()
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.query("single.example", "A").rcode == "NOERROR"
    assert http_get(p["health"], "/health") == (200, "OK")
    assert srv.proc.poll() is None
    srv.proc.wait(timeout=10)
    assert time.monotonic() - t0 >= 2.9
    assert "plugin/health: Going into lameduck mode for 3s" in srv.stdout_text()


def test_bad_addresses_are_corefile_errors(tmp_path):
    from harness import run_cxxdns
    for directive in ("health 8080", "ready :99999", "prometheus a:b:c", "loadbalance weighted x",
                      "loadbalance random"):
        (tmp_path / "Corefile").write_text(f".:{free_port()} {{\n    {directive}\n    whoami\n}}\n")
        r = run_cxxdns(["-conf", "Corefile"], cwd=tmp_path)
        assert r.returncode != 0, directive
        assert "Corefile:2 - Error during parsing" in r.stdout + r.stderr, directive


def test_endpoint_address_in_use_fails_startup(tmp_path):
    from harness import run_cxxdns
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        (tmp_path / "Corefile").write_text(
            f".:{free_port()} {{\n    bind 127.0.0.1\n    health 127.0.0.1:{port}\n    whoami\n}}\n")
        r = run_cxxdns(["-conf", "Corefile"], cwd=tmp_path)
    assert r.returncode == 1
    assert f"plugin/health: listen tcp 127.0.0.1:{port}: address already in use" in r.stderr


def test_health_self_probe_metrics(start_cxxdns):
    srv, p = start(start_cxxdns)
    deadline = time.monotonic() + 5
    while True:
        _, text = http_get(p["metrics"], "/metrics")
        count = metric_value(text, "coredns_health_request_duration_seconds_count", {}) or 0
        if count >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert count >= 2
    assert "# TYPE coredns_health_request_duration_seconds histogram" in text
    assert metric_value(text, "coredns_health_request_failures_total", {}) == 0
    les = re.findall(r'coredns_health_request_duration_seconds_bucket\{le="([^"]+)"\}', text)
    assert les == ["0.00025", "0.0025", "0.025", "0.25", "2.5", "+Inf"]
