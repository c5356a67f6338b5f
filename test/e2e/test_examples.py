"""Every Corefile in Corefile.examples runs as it is written (only its ports, and where it
names an upstream, the upstream's port, are moved to free ones for the test)."""
import ipaddress
import os
import re
import shlex
import signal
import subprocess

import harness
from harness import SOURCE_DIR, http_get, parse_kdig, wait_until

EXAMPLES = SOURCE_DIR / "Corefile.examples"


def test_local_corefile_as_make_run_runs_it(cxxdns_binary, tmp_path):
    # `make run`: tools/run-example on local.Corefile, from the repository root. Only the
    # ports move to free ones; the commands it prints after the banner are then run as they
    # are printed, and must show what the Corefile says they show.
    ports = {"1053": harness.free_port(), "8080": harness.free_port(),
             "8181": harness.free_port(), "9153": harness.free_port()}
    text = (EXAMPLES / "local.Corefile").read_text()
    for old, new in ports.items():
        text = text.replace(f"127.0.0.1:{old}", f"127.0.0.1:{new}")
    text = text.replace(".:1053 {", f".:{ports['1053']} {{")
    text = text.replace("-p 1053 ", f"-p {ports['1053']} ")
    corefile = tmp_path / "local.Corefile"
    corefile.write_text(text)
    out = tmp_path / "stdout"
    with open(out, "w") as f:
        run = subprocess.Popen([str(SOURCE_DIR / "tools/run-example"), cxxdns_binary,
                                str(corefile)], cwd=SOURCE_DIR, stdout=f,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until(lambda: "Try, in another terminal:" in out.read_text()
                   and out.read_text().endswith("\n\n"), 10, what="the commands to try")
        lines = out.read_text().splitlines()
        banner = lines.index(f".:{ports['1053']}")
        assert lines[banner + 1].startswith("cxxdns-"), lines
        assert lines[banner + 3] == "Try, in another terminal:", lines
        tries = [shlex.split(line) for line in lines[banner + 4:banner + 7]]
        assert [t[0] for t in tries] == ["kdig", "kdig", "./build/cxxdns"], lines

        # A cluster name: the service's cluster IP from the bundled state file.
        r = run_command(tries[0])
        assert parse_kdig(r.stdout).rdatas("A") == ["10.96.10.10"], r.stdout
        # An outside name: a fake address.
        r = run_command(tries[1])
        (fake,) = parse_kdig(r.stdout).rdatas("A")
        assert ipaddress.ip_address(fake) in ipaddress.ip_network("198.18.0.0/15"), r.stdout
        # As a pod asks: three NXDOMAINs from the cluster, then the search list's last
        # domain makes a name that exists nowhere, and fakeip fakes it.
        r = run_command([cxxdns_binary] + tries[2][1:])
        trace = r.stdout
        assert trace.count("kubernetes: NXDOMAIN") == 3, trace
        last = re.search(r"^ 4  www\.example\.com\.lan\. +NOERROR .*<- the application gets "
                         r"this$\n\s+www\.example\.com\.lan\.\s+\d+\s+IN\s+A\s+198\.1[89]\.",
                         trace, re.M)
        assert last, trace
        assert "fakeip: faked" in trace and "kubernetes: not a cluster zone, next" in trace

        # CoreDNS's probes and metrics, where the Corefile's header says they are.
        assert http_get(ports["8080"], "/health") == (200, "OK")
        assert http_get(ports["8181"], "/ready") == (200, "OK")
        status, metrics = http_get(ports["9153"], "/metrics")
        assert status == 200 and 'coredns_dns_requests_total{server="dns://127.0.0.1:' in metrics
        assert "coredns_cache_misses_total" in metrics
    finally:
        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C, as a user stops `make run`
        rc = run.wait(10)
    assert rc == 0, out.read_text()
    assert '"A IN www.example.com.lan. udp' in out.read_text()  # the log plugin's line


def run_command(argv):
    return subprocess.run(argv, cwd=SOURCE_DIR, capture_output=True, text=True, timeout=30,
                          check=True)


def test_fakeip_gateway_corefile(start_cxxdns, start_unbound, tmp_path):
    up = start_unbound(local_zones=["example.com.", "lan."],
                       local_data=["www.example.com. 300 IN A 93.184.215.14",
                                   "router.lan. 300 IN A 192.168.1.1"])
    text = (EXAMPLES / "fakeip-gateway.Corefile").read_text()
    text = text.replace(".:1053 {", ".:{PORT} {").replace("127.0.0.1:5300", f"127.0.0.1:{up.port}")
    text = text.replace("/tmp/fakeip/fakeip.map", str(tmp_path / "fakeip.map"))
    srv = start_cxxdns(text)
    fake = srv.query("www.example.com", "A").rdatas("A")
    assert len(fake) == 1 and re.match(r"198\.1[89]\.", fake[0]), fake
    assert srv.query("router.lan", "A").rdatas("A") == ["192.168.1.1"]  # filtered
    assert srv.query("nothing.example.com", "A").rcode == "NXDOMAIN"  # verify
    ptr = ".".join(reversed(fake[0].split("."))) + ".in-addr.arpa"
    assert srv.query(ptr, "PTR").rdatas("PTR") == ["www.example.com."]
    assert srv.stop() == 0
    assert "www.example.com." in (tmp_path / "fakeip.map").read_text()
