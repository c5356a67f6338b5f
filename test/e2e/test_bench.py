"""bench/run, the benchmark harness: it runs end to end on this machine (--smoke: cxxdns and
the floor, 1 s a measurement), and its sanity checks hold: a server that answers wrongly is
reported as FAILED, not as a number."""
import importlib.machinery
import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from harness import SOURCE_DIR, cxxdns_bin

BENCH = SOURCE_DIR / "bench" / "run"
BUILD = Path(cxxdns_bin()).resolve().parent


def load_bench():
    """bench/run as a module (it is a script without .py)."""
    loader = importlib.machinery.SourceFileLoader("bench_run", str(BENCH))
    spec = importlib.util.spec_from_loader("bench_run", loader)
    mod = importlib.util.module_from_spec(spec)
    sys.dont_write_bytecode = True
    loader.exec_module(mod)
    return mod


def test_smoke_run_measures_every_scenario(tmp_path):
    out = tmp_path / "results"
    r = subprocess.run([sys.executable, str(BENCH), "--smoke", "--servers", "cxxdns,floor",
                        "--build", str(BUILD), "--out", str(out)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    doc = json.loads((out / "results.json").read_text())
    res = doc["results"]
    for scen in ("cache_hit", "forward_miss"):
        for server in ("cxxdns", "floor"):
            m = res[scen][server]
            assert "failed" not in m, (scen, server, m)
            assert m["cpu_us_per_query"] > 0 and m["completed"] > 1000, (scen, server, m)
            assert len(m["rounds"]) == 1
    for scen in ("fakeip", "kube_system"):
        assert "failed" not in res[scen]["cxxdns"], (scen, res[scen]["cxxdns"])
    # The kube-system run checks its own answers: NXDOMAIN share within 3 points.
    k = res["kube_system"]["cxxdns"]
    assert abs(k["nxdomain_share"] - k["expected_nxdomain_share"]) <= 0.03
    assert res["memory"]["cxxdns"]["fill_completed"] >= 99000  # of 100,000 names
    report = (out / "REPORT.md").read_text()
    assert "## Targets" in report and "| forward miss (unique names) | floor |" in report
    # Only loopback: the upstream refuses every name outside bench.test.
    assert "refuse" in (SOURCE_DIR / "bench" / "peers" / "upstream-unbound.conf").read_text()


def test_a_wrong_server_is_failed_not_measured(tmp_path, start_cxxdns):
    bench_run = load_bench()
    # Serves only other.test: every bench.test query gets REFUSED.
    srv = start_cxxdns("other.test:{PORT} {\n    bind 127.0.0.1\n    whoami\n}\n")
    assert not bench_run.probe(srv.port, "probe.bench.test", lambda a: a == bench_run.ANSWER)
    qfile = tmp_path / "names.txt"
    bench_run.write_names(qfile, (f"h{i}.bench.test" for i in range(100)))
    bench = bench_run.Bench(SimpleNamespace(duration=1, build=str(BUILD)), str(tmp_path))
    proc = SimpleNamespace(pid=srv.pid, poll=lambda: None if srv.alive() else 1)
    r = bench_run.measure(bench, proc, srv.port, str(qfile))
    assert "REFUSED" in r.get("failed", ""), r
    # And one that answers nothing at all: a socket nobody reads.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as hole:
        hole.bind(("127.0.0.1", 0))
        me = SimpleNamespace(pid=os.getpid(), poll=lambda: None)
        r = bench_run.measure(bench, me, hole.getsockname()[1], str(qfile))
    assert "queries answered" in r.get("failed", ""), r
