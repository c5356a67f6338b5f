"""hosts through the real binary: a file, its reload, PTR, and coredns_hosts_entries."""
import os
import time
import urllib.request

import harness
from harness import wait_until


def test_hosts_file_reload_and_entries_metric(start_cxxdns):
    mport = harness.free_port()
    srv = start_cxxdns(f"""
.:{{PORT}} {{
    bind 127.0.0.1
    prometheus 127.0.0.1:{mport}
    hosts hosts.txt example. {{
        reload 1s
    }}
}}
""", files={"hosts.txt": "10.0.0.1 web.example.\n"})
    assert srv.query("web.example", "A").rdatas("A") == ["10.0.0.1"]
    assert srv.query("1.0.0.10.in-addr.arpa", "PTR").rdatas("PTR") == ["web.example."]
    path = srv.dir / "hosts.txt"
    path.write_text("10.0.0.2 web.example.\n10.0.0.3 db.example.\n")
    future = time.time() + 2  # a new mtime even on coarse clocks
    os.utime(path, (future, future))
    wait_until(lambda: srv.query("web.example", "A").rdatas("A") == ["10.0.0.2"], 5,
               what="the changed hosts file")
    assert srv.query("db.example", "A").rdatas("A") == ["10.0.0.3"]
    with urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=2) as r:
        metrics = r.read().decode()
    assert "\ncoredns_hosts_entries 2\n" in metrics, metrics
    assert srv.stop() == 0
