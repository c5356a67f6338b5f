"""Every Corefile in Corefile.examples runs as it is written (only its port, and where it
names an upstream, the upstream's port, are moved to free ones for the test)."""
import re

import harness
from harness import SOURCE_DIR, wait_until

EXAMPLES = SOURCE_DIR / "Corefile.examples"


def test_local_corefile(start_cxxdns):
    text = (EXAMPLES / "local.Corefile").read_text().replace(".:1053 {", ".:{PORT} {")
    srv = start_cxxdns(text)
    assert srv.query("gateway.lan", "A").rdatas("A") == ["192.168.1.1"]
    assert srv.query("nas.lan", "AAAA").rdatas("AAAA") == ["fd00::10"]
    r = srv.query("whoami.example", "A")
    assert ("whoami.example.", 0, "IN", "A", "127.0.0.1") in r.additional, r.raw
    srv.wait_for_log(r'"A IN gateway\.lan\. udp ')
    assert srv.stop() == 0


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
