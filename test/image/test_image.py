"""The deploy/ image, run with podman as kubeadm's CoreDNS Deployment runs it.

`make image` builds it, `make image-test` runs these. The container gets what the pod
gets: the manifest's args (`-conf /etc/coredns/Corefile`), kubeadm's ConfigMap Corefile
mounted read-only at /etc/coredns, the service-account files where Kubernetes mounts them,
KUBERNETES_SERVICE_HOST/PORT naming an HTTPS API server (a fake one on 127.0.0.1 with a
throwaway CA), a resolv.conf naming the node's resolver (an offline unbound here), and the
manifest's securityContext (non-root, read-only root file system, every capability dropped
but NET_BIND_SERVICE, no new privileges). It shares this machine's network, on 127.0.0.1
ports; what needs port 53 runs in the container's own network namespace instead.
"""
import json
import time
from pathlib import Path

import harness
import kubeadm
import podman
from fake_apiserver import FakeApiServer, endpointslice, make_certs, namespace, service
from harness import http_get, kdig, wait_until

UPSTREAM_ADDR = "127.0.0.79"  # resolv.conf names no port: the upstream answers on 53
SERVICEACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
LAMEDUCK_S = 5  # kubeadm's `health { lameduck 5s }`
CAP_NET_BIND_SERVICE = 10


def readable_dir(path: Path, files: dict) -> Path:
    """A directory to mount, readable by the image's non-root user as a ConfigMap or a
    projected service-account volume is."""
    path.mkdir(parents=True)
    path.chmod(0o755)
    for name, text in files.items():
        (path / name).write_text(text)
        (path / name).chmod(0o644)
    return path


def proc_status(pid: int) -> dict:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def root_mount_options(pid: int) -> list:
    for line in Path(f"/proc/{pid}/mountinfo").read_text().splitlines():
        fields = line.split()
        if fields[4] == "/":
            return fields[5].split(",")
    raise AssertionError(f"no / in /proc/{pid}/mountinfo")


def resolve_inside(ctr, name: str, server: str) -> dict:
    """Asks from inside the container's network namespace, with the image's own client
    (`cxxdns resolve`), and returns its last attempt."""
    r = ctr.exec("cxxdns", "resolve", name, "--server", server, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)["attempts"][-1]


def test_as_kubeadm_deploys_it(image, containers, tmp_path):
    c = kubeadm.coredns_container()
    live, ready = c["livenessProbe"]["httpGet"], c["readinessProbe"]["httpGet"]
    port, h_port, r_port, m_port = (harness.free_port() for _ in range(4))
    corefile = kubeadm.on_loopback(kubeadm.STOCK_COREFILE, port, h_port, r_port, m_port)
    certs = make_certs(tmp_path)
    pod = tmp_path / "pod"
    config = readable_dir(pod / "config-volume", {"Corefile": corefile})
    etc = readable_dir(pod / "etc", {"resolv.conf": f"nameserver {UPSTREAM_ADDR}\n"})
    sa = readable_dir(pod / "serviceaccount", {
        "token": "pod-token", "namespace": "kube-system",
        "ca.crt": Path(certs["server_cert"]).read_text()})
    api = FakeApiServer(certs, token="pod-token", start=False)
    api.port = harness.free_port()

    with harness.Unbound(local_zones=["example.net."],
                         local_data=["www.example.net. 300 IN A 192.0.2.10"],
                         extra=f"  interface: {UPSTREAM_ADDR}@53\n",
                         tmpdir=tmp_path / "unbound"):
        ctr = containers(
            image=image, args=c["args"], network="host",
            mounts=[(config, "/etc/coredns"), (sa, SERVICEACCOUNT),
                    (etc / "resolv.conf", "/etc/resolv.conf")],
            env={"KUBERNETES_SERVICE_HOST": "127.0.0.1",
                 "KUBERNETES_SERVICE_PORT": str(api.port)},
            security_context=c["securityContext"])
        try:
            check_pod(ctr, api, port, h_port, r_port, m_port, live["path"], ready["path"])
        finally:
            api.stop()


def check_pod(ctr, api, port, h_port, r_port, m_port, live_path, ready_path):
    # The API is not up: the server starts anyway (after 5 s), alive but not ready.
    wait_until(lambda: http_get(h_port, live_path) == (200, "OK"), 30,
               what=f"liveness 200 (logs: {ctr.logs()})")
    assert http_get(r_port, ready_path)[0] == 503
    assert kdig("kubernetes.default.svc.cluster.local", "A", port).rcode == "SERVFAIL"

    # As the pod's securityContext says: the image's non-root user, only NET_BIND_SERVICE
    # effective, no new privileges, a read-only root.
    status = proc_status(ctr.pid())
    assert status["Uid"].split() == ["65532"] * 4, status["Uid"]
    assert int(status["CapEff"], 16) == 1 << CAP_NET_BIND_SERVICE, status["CapEff"]
    assert int(status["CapBnd"], 16) == 1 << CAP_NET_BIND_SERVICE, status["CapBnd"]
    assert status["NoNewPrivs"] == "1"
    assert "ro" in root_mount_options(ctr.pid())

    api.put(namespace("default"))
    api.put(service("default", "kubernetes", "10.96.0.1", ports=(("https", "TCP", 443),)))
    api.put(service("default", "web"))
    api.put(endpointslice("default", "web", ["10.244.1.5"]))
    api.start()
    wait_until(lambda: http_get(r_port, ready_path) == (200, "OK"), 20,
               what="readiness 200 once the API answers")
    assert api.count(lambda q: q[2] == "Bearer pod-token") >= 3
    # `cache 30` keeps the earlier SERVFAIL for up to 5 s, as CoreDNS's cache does.
    wait_until(lambda: kdig("kubernetes.default.svc.cluster.local", "A", port).rdatas("A")
               == ["10.96.0.1"], 10, what="kubernetes.default answered")
    for tcp in (False, True):
        r = kdig("web.default.svc.cluster.local", "A", port, tcp=tcp)
        assert r.rdatas("A") == ["10.244.1.5"], r.raw
        r = kdig("1.0.96.10.in-addr.arpa", "PTR", port, tcp=tcp)
        assert r.rdatas("PTR") == ["kubernetes.default.svc.cluster.local."], r.raw
        # Forwarded to the resolver the mounted /etc/resolv.conf names.
        r = kdig("www.example.net", "A", port, tcp=tcp)
        assert r.rcode == "NOERROR" and r.rdatas("A") == ["192.0.2.10"], r.raw

    status, metrics = http_get(m_port, "/metrics")
    assert status == 200
    for family in ('coredns_dns_requests_total{server="dns://127.0.0.1:',
                   'proto="udp"', 'proto="tcp"', "coredns_dns_responses_total{",
                   "coredns_dns_request_duration_seconds_bucket{", "coredns_cache_entries{",
                   "coredns_proxy_request_duration_seconds_count{", "coredns_build_info{"):
        assert family in metrics, f"{family} not in /metrics:\n{metrics[:3000]}"

    # SIGTERM (what the kubelet sends): DNS is still answered during the lameduck, then
    # the process exits 0 within it.
    sent = time.monotonic()
    ctr.signal("TERM")
    assert kdig("web.default.svc.cluster.local", "A", port).rdatas("A") == ["10.244.1.5"]
    assert ctr.wait_exit(LAMEDUCK_S + 5) == 0, ctr.logs()
    took = time.monotonic() - sent
    # The upper bound has room for podman's own commands on a loaded machine (the signal and
    # the polling of the exit); a stop that ignored the lameduck's end would still fail.
    assert LAMEDUCK_S - 0.5 <= took <= LAMEDUCK_S + 4, f"exited {took:.1f} s after SIGTERM"
    assert f"Going into lameduck mode for {LAMEDUCK_S}s" in ctr.logs()


# An address the client can find (whoami's is in the additional section, which getaddrinfo,
# and so `cxxdns resolve`, does not read).
HOSTS_COREFILE = ".:{port} {{\n    hosts {{\n        192.0.2.53 served.example\n    }}\n}}\n"


def test_port_53_as_the_non_root_user(image, containers, tmp_path):
    # kubeadm's port 53, in the container's own network namespace (only a loopback there):
    # the image's user binds it through the binary's file capability and the pod's
    # NET_BIND_SERVICE.
    c = kubeadm.coredns_container()
    config = readable_dir(tmp_path / "config", {"Corefile": HOSTS_COREFILE.format(port=53)})
    ctr = containers(image=image, args=c["args"], network="none",
                     mounts=[(config, "/etc/coredns")], security_context=c["securityContext"])
    wait_until(lambda: "cxxdns-" in ctr.logs() or not ctr.running(), 15, what="the banner")
    answer = resolve_inside(ctr, "served.example", "127.0.0.1:53")
    assert answer["rcode"] == "NOERROR" and "192.0.2.53" in " ".join(answer["answers"]), answer


def test_without_net_bind_service_it_still_starts(image, containers, tmp_path):
    # A pod spec that drops every capability and adds none: the container starts (the file
    # capability is permitted-only, so the kernel does not refuse the exec), serves a port
    # above 1023, and refuses port 53 with a message that says what is missing.
    c = kubeadm.coredns_container()
    sc = dict(c["securityContext"], capabilities={"drop": ["ALL"]})
    high = readable_dir(tmp_path / "high", {"Corefile": HOSTS_COREFILE.format(port=1053)})
    ctr = containers(image=image, args=c["args"], network="none",
                     mounts=[(high, "/etc/coredns")], security_context=sc)
    wait_until(lambda: "cxxdns-" in ctr.logs() or not ctr.running(), 15, what="the banner")
    assert int(proc_status(ctr.pid())["CapEff"], 16) == 0
    answer = resolve_inside(ctr, "served.example", "127.0.0.1:1053")
    assert answer["rcode"] == "NOERROR" and "192.0.2.53" in " ".join(answer["answers"]), answer

    low = readable_dir(tmp_path / "low", {"Corefile": HOSTS_COREFILE.format(port=53)})
    ctr = containers(image=image, args=c["args"], network="none",
                     mounts=[(low, "/etc/coredns")], security_context=sc)
    assert ctr.wait_exit(15) == 1, ctr.logs()
    assert ("listen tcp/udp :53: bind: Permission denied (a port below 1024 needs the "
            "NET_BIND_SERVICE capability") in ctr.logs(), ctr.logs()


def test_image_holds_no_apt_leftovers(image):
    # debian:12-slim's own apt configuration deletes downloaded packages; a base without
    # it left 85 MB of them in the image until the Dockerfile cleaned up itself.
    size = int(podman.podman("image", "inspect", "--format", "{{.Size}}", image).stdout)
    r = podman.podman("run", "--rm", *podman.PODMAN_ARGS, "--network=none", "--user=0",
                      "--entrypoint", "du", image, "-sk", "/var/cache/apt", "/var/lib/apt/lists")
    left_kb = sum(int(line.split()[0]) for line in r.stdout.splitlines())
    assert left_kb < 100, r.stdout
    assert size < 110_000_000, f"image is {size / 1e6:.0f} MB"
    print(f"image {image}: {size / 1e6:.1f} MB")


def test_image_config_is_what_the_manifest_expects(image):
    cfg = json.loads(podman.podman("image", "inspect", "--format", "{{json .Config}}",
                                   image).stdout)
    assert cfg["User"] == "65532:65532"
    assert cfg["Entrypoint"] == ["/usr/bin/cxxdns"]
    assert not cfg.get("Cmd")  # the Deployment's args are the whole command line
    assert {"53/udp", "53/tcp", "9153/tcp"} <= set(cfg["ExposedPorts"])
