"""The kubernetes plugin's API source against the real binary and a fake API server
(fake_apiserver.py, HTTPS on 127.0.0.1): answers follow objects as they are added,
changed and deleted; a 410 makes it list again; a killed and restarted server is
reconnected to; a rotated service-account token is picked up; a 401 is logged and retried;
an unreachable server delays start by 5 s at most and cluster names get SERVFAIL."""

import base64
import os
from pathlib import Path

import pytest

from fake_apiserver import (FakeApiServer, endpointslice, make_certs, namespace, pod,
                            service)
from harness import free_port, kdig, wait_until

SVC = ".svc.cluster.local."
WEB = "web.default" + SVC


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("certs"))


def seed(api):
    api.put(namespace("default"))
    api.put(service("default", "web", "10.96.0.10"))
    api.put(service("default", "db"))  # headless
    api.put(endpointslice("default", "db", ["10.244.0.7", "10.244.0.8"]))


def a_records(port, name):
    r = kdig(name, "A", port)
    return r.rcode, sorted(r.rdatas("A"))


def wait_answer(port, name, expect, timeout=10):
    wait_until(lambda: a_records(port, name) == expect, timeout=timeout,
               what=f"{name} -> {expect} (last {a_records(port, name)})")


def corefile(source: str) -> str:
    return ("cluster.local:{PORT} {\n    bind 127.0.0.1\n    kubernetes cluster.local {\n"
            f"{source}\n    }}\n}}\n")


def test_endpoint_tls_follows_changes(start_cxxdns, certs):
    # endpoint + tls CERT KEY CACERT: the server demands the client certificate.
    with FakeApiServer(certs, token=None, client_ca=certs["client_cert"]) as api:
        seed(api)
        srv = start_cxxdns(corefile(
            f"        endpoint {api.url}\n"
            f"        tls {certs['client_cert']} {certs['client_key']} {certs['server_cert']}"))
        p = srv.port
        wait_answer(p, WEB, ("NOERROR", ["10.96.0.10"]))
        assert a_records(p, "db.default" + SVC) == ("NOERROR", ["10.244.0.7", "10.244.0.8"])
        assert a_records(p, "api.default" + SVC)[0] == "NXDOMAIN"

        api.put(service("default", "api", "10.96.0.20"))  # added
        wait_answer(p, "api.default" + SVC, ("NOERROR", ["10.96.0.20"]))
        api.put(service("default", "web", "10.96.0.11"))  # its IP changed
        wait_answer(p, WEB, ("NOERROR", ["10.96.0.11"]))
        api.put(endpointslice("default", "db", ["10.244.0.9"]))
        wait_answer(p, "db.default" + SVC, ("NOERROR", ["10.244.0.9"]))
        api.bookmark()
        api.delete("Service", "default", "web")  # deleted
        wait_answer(p, WEB, ("NXDOMAIN", []))

        # It listed, then watched each kind from the list's resourceVersion with bookmarks.
        for path in ("/api/v1/namespaces", "/api/v1/services",
                     "/apis/discovery.k8s.io/v1/endpointslices"):
            assert api.count(lambda r: r[1].startswith(path + "?limit=")) >= 1
            assert api.count(lambda r: r[1].startswith(path + "?watch=1&") and
                             "allowWatchBookmarks=true" in r[1] and
                             "resourceVersion=" in r[1]) >= 1
        assert api.count(lambda r: r[1].startswith("/api/v1/pods")) == 0  # pods not verified
        assert api.count(lambda r: r[2] is not None) == 0  # no token: the certificate


def test_relist_after_410(start_cxxdns, certs, tmp_path):
    with FakeApiServer(certs, token=None) as api:
        seed(api)
        srv = start_cxxdns(corefile(
            f"        endpoint {api.url}\n"
            f"        tls {certs['client_cert']} {certs['client_key']} {certs['server_cert']}"))
        p = srv.port
        wait_answer(p, WEB, ("NOERROR", ["10.96.0.10"]))
        lists = api.count(lambda r: r[1].startswith("/api/v1/services?limit="))
        api.gone()  # every watch gets an ERROR event with code 410; history is compacted
        # Changes made after the compaction are only seen through a new list.
        api.put(service("default", "web", "10.96.0.12"))
        wait_answer(p, WEB, ("NOERROR", ["10.96.0.12"]))
        assert api.count(lambda r: r[1].startswith("/api/v1/services?limit=")) > lists
        srv.wait_for_log(r"watch of /api/v1/services expired \(410 Gone\), listing again")
        # and it watches again after the relist
        api.put(service("default", "web", "10.96.0.13"))
        wait_answer(p, WEB, ("NOERROR", ["10.96.0.13"]))


def test_reconnect_after_kill_and_restart(start_cxxdns, certs):
    api = FakeApiServer(certs, token="t1")
    try:
        seed(api)
        kc_dir = Path(certs["server_cert"]).parent
        ca = base64.b64encode(Path(certs["server_cert"]).read_bytes()).decode()
        srv = start_cxxdns(corefile("        kubeconfig kubeconfig.yaml test"), files={
            "kubeconfig.yaml": f"""apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: {api.url}
    certificate-authority-data: {ca}
users:
- name: dns
  user:
    token: t1
contexts:
- name: test
  context:
    cluster: fake
    user: dns
"""})
        p = srv.port
        wait_answer(p, WEB, ("NOERROR", ["10.96.0.10"]))
        api.stop()  # killed: listening socket and open watches closed
        api.put(service("default", "web", "10.96.0.14"))  # changed while it was down
        # the last state keeps serving while the server is away
        assert a_records(p, WEB) == ("NOERROR", ["10.96.0.10"])
        srv.wait_for_log(r"watch /api/v1/services (ended|: )")
        api.start()  # same port
        wait_answer(p, WEB, ("NOERROR", ["10.96.0.14"]), timeout=20)
        api.put(service("default", "web", "10.96.0.15"))
        wait_answer(p, WEB, ("NOERROR", ["10.96.0.15"]))
    finally:
        api.stop()


def test_in_cluster_token_rotation_and_401(start_cxxdns, certs, tmp_path):
    sa = tmp_path / "serviceaccount"
    sa.mkdir()
    (sa / "token").write_text("t1\n")
    (sa / "ca.crt").write_bytes(Path(certs["server_cert"]).read_bytes())
    with FakeApiServer(certs, token="t1") as api:
        seed(api)
        env = dict(os.environ, KUBERNETES_SERVICE_HOST="127.0.0.1",
                   KUBERNETES_SERVICE_PORT=str(api.port), CXXDNS_SERVICEACCOUNT_DIR=str(sa))
        # no endpoint, kubeconfig or state: in-cluster
        srv = start_cxxdns("cluster.local:{PORT} {\n bind 127.0.0.1\n kubernetes\n}\n", env=env)
        p = srv.port
        wait_answer(p, WEB, ("NOERROR", ["10.96.0.10"]))

        # Rotation: kubelet writes the new token, the server accepts only it from now on.
        tmp = sa / "token.tmp"
        tmp.write_text("t2\n")
        os.replace(tmp, sa / "token")
        api.rotate_token("t2")  # ends the open watches
        wait_until(lambda: api.count(lambda r: r[2] == "Bearer t2" and "watch=1" in r[1]) >= 3,
                   timeout=10, what="watches again with the new token")
        api.put(service("default", "web", "10.96.0.16"))
        wait_answer(p, WEB, ("NOERROR", ["10.96.0.16"]))

        # A token the server does not take: 401, logged, retried with backoff, and the
        # last good state keeps serving; once the file holds a good token it recovers.
        api.rotate_token("t3")
        srv.wait_for_log(r"plugin/kubernetes: watch /api/v1/\S+: HTTP 401 Unauthorized")
        wait_until(lambda: api.count(lambda r: r[2] == "Bearer t2" and "watch=1" in r[1] and
                                     "/api/v1/services" in r[1]) >= 3, timeout=10,
                   what="retries after 401")
        assert a_records(p, WEB) == ("NOERROR", ["10.96.0.16"])
        api.put(service("default", "web", "10.96.0.17"))
        (sa / "token").write_text("t3\n")
        wait_answer(p, WEB, ("NOERROR", ["10.96.0.17"]), timeout=20)


def test_pods_verified_watches_pods(start_cxxdns, certs):
    with FakeApiServer(certs, token=None) as api:
        seed(api)
        api.put(pod("default", "web-1", "10.244.0.5"))
        srv = start_cxxdns(corefile(
            f"        endpoint {api.url}\n"
            f"        tls {certs['client_cert']} {certs['client_key']} {certs['server_cert']}\n"
            "        pods verified"))
        p = srv.port
        name = "10-244-0-5.default.pod.cluster.local."
        wait_answer(p, name, ("NOERROR", ["10.244.0.5"]))
        assert a_records(p, "10-244-0-6.default.pod.cluster.local.")[0] == "NXDOMAIN"
        api.put(pod("default", "web-2", "10.244.0.6"))
        wait_answer(p, "10-244-0-6.default.pod.cluster.local.", ("NOERROR", ["10.244.0.6"]))
        api.delete("Pod", "default", "web-1")
        wait_answer(p, name, ("NXDOMAIN", []))


def test_unreachable_api_servfail_then_serves(start_cxxdns, certs):
    port = free_port()
    srv = start_cxxdns(corefile(
        f"        endpoint https://127.0.0.1:{port}\n"
        f"        tls {certs['client_cert']} {certs['client_key']} {certs['server_cert']}"),
        ready_timeout=15)
    srv.wait_for_log("starting server with unsynced Kubernetes API")
    assert kdig(WEB, "A", srv.port).rcode == "SERVFAIL"  # failed, not hung
    with FakeApiServer(certs, token=None, port=port) as api:
        seed(api)
        wait_answer(srv.port, WEB, ("NOERROR", ["10.96.0.10"]), timeout=20)
