"""The kubernetes plugin while EndpointSlices change under it (the real binary, the fake API
server of fake_apiserver.py over HTTPS on 127.0.0.1): every answer during a stream of
events is one whole version of the slice (never a mix of two, never empty), versions only
move forward, the last one is served at the end; other services answer throughout; and the
metrics dashboards read are there with CoreDNS's names and labels."""

import re
import threading
import time
from datetime import datetime, timezone

import pytest

from fake_apiserver import FakeApiServer, make_certs, namespace, service
from harness import free_port, http_get, kdig, wait_until

SVC = ".svc.cluster.local."
EVENTS = 150


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("certs"))


def generation_slice(gen: int) -> dict:
    """db's slice at generation `gen`: three ready endpoints 10.244.G.1-3, stamped with the
    time of the change as the EndpointSlice controller does."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"kind": "EndpointSlice",
            "metadata": {"namespace": "default", "name": "db-abcde",
                         "labels": {"kubernetes.io/service-name": "db"},
                         "annotations": {
                             "endpoints.kubernetes.io/last-change-trigger-time": now}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [f"10.244.{gen % 250}.{i}"],
                           "conditions": {"ready": True}} for i in (1, 2, 3)],
            "ports": [{"name": "db", "protocol": "TCP", "port": 5432}]}


def generation_of(addresses):
    """The generation an answer shows, or None when it is not one whole generation."""
    thirds = {a.split(".")[2] for a in addresses}
    if len(addresses) != 3 or len(thirds) != 1:
        return None
    return int(thirds.pop())


def test_answers_during_a_stream_of_events(start_cxxdns, certs):
    with FakeApiServer(certs, token=None) as api:
        api.put(namespace("default"))
        api.put(service("default", "web", "10.96.0.10"))
        api.put(service("default", "db"))  # headless: its A records are the endpoints
        api.put(generation_slice(1))
        metrics = free_port()
        srv = start_cxxdns(
            "cluster.local:{PORT} {\n    bind 127.0.0.1\n"
            f"    prometheus 127.0.0.1:{metrics}\n"
            "    kubernetes cluster.local {\n"
            f"        endpoint {api.url}\n"
            f"        tls {certs['client_cert']} {certs['client_key']} {certs['server_cert']}\n"
            "    }\n}\n")
        db = "db.default" + SVC
        wait_until(lambda: generation_of(kdig(db, "A", srv.port).rdatas("A")) == 1, timeout=10,
                   what="generation 1 served")

        asked = threading.Event()  # the reader made one more round

        def stream():
            for gen in range(2, EVENTS + 2):
                api.put(generation_slice(gen))
                time.sleep(0.01)
                if gen % 30 == 0:
                    # However slow the machine, the reader sees several versions go by.
                    asked.clear()
                    asked.wait(5)

        writer = threading.Thread(target=stream)
        writer.start()
        seen, last = [], 1
        while writer.is_alive():
            r = kdig(db, "A", srv.port)
            assert r.rcode == "NOERROR", r.raw
            gen = generation_of(r.rdatas("A"))
            assert gen is not None, f"a mix of versions or a partial one: {r.raw}"
            assert gen >= last, f"went back from {last} to {gen}"
            last = gen
            seen.append(gen)
            web = kdig("web.default" + SVC, "A", srv.port)
            assert web.rdatas("A") == ["10.96.0.10"], web.raw
            asked.set()
        writer.join()
        final = (EVENTS + 1) % 250
        wait_until(lambda: generation_of(kdig(db, "A", srv.port).rdatas("A")) == final,
                   timeout=5, what=f"the last generation ({final}) served")
        assert len(set(seen)) > 3, f"the answers did not follow the events: {seen}"

        # The metrics CoreDNS's dashboards use, with its names and labels.
        status, text = http_get(metrics, "/metrics")
        assert status == 200
        m = re.search(r'^coredns_kubernetes_dns_programming_duration_seconds_count'
                      r'\{service_kind="headless_with_selector"\} (\d+)', text, re.M)
        assert m and int(m.group(1)) >= EVENTS // 2, text[-3000:]
        assert 'coredns_kubernetes_dns_programming_duration_seconds_bucket{service_kind=' \
               '"headless_with_selector",le="0.001"}' in text
        host = f"127.0.0.1:{api.port}"
        m = re.search(r'^coredns_kubernetes_rest_client_requests_total\{code="200",method="GET",'
                      rf'host="{re.escape(host)}"\}} (\d+)', text, re.M)
        assert m and int(m.group(1)) >= 6, text[-3000:]  # a list and a watch for each kind
        assert re.search(r'^coredns_kubernetes_rest_client_request_duration_seconds_count\{'
                         rf'verb="GET",host="{re.escape(host)}"\}} [1-9]', text, re.M)
        assert "coredns_kubernetes_rest_client_rate_limiter_duration_seconds_count" in text
