"""bench/kubernetes, the kubernetes scenario of the bench: it runs end to end on this machine
(--smoke: 200 and 400 services, a few hundred events, 2,000 pods) and checks itself: it
waits for the last event of each churn to show in the answers (a run where it never does is
FAILED and the bench exits non-zero), and the report prints CoreDNS's figures as the
reference beside ours."""
import json
import subprocess
import sys
from pathlib import Path

from harness import SOURCE_DIR, cxxdns_bin

BENCH = SOURCE_DIR / "bench" / "kubernetes"
BUILD = Path(cxxdns_bin()).resolve().parent


def test_smoke_run_measures_every_size(tmp_path):
    out = tmp_path / "results"
    r = subprocess.run([sys.executable, str(BENCH), "--smoke", "--build", str(BUILD),
                        "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    doc = json.loads((out / "kubernetes.json").read_text())
    runs = doc["results"]
    assert [(x["services"], x["endpoints_per_service"], x["pods"]) for x in runs] == \
        [(200, 5, 0), (400, 5, 0), (400, 1, 0), (400, 5, 2000)]
    for x in runs:
        assert "failed" not in x, x
        assert x["sync_s"] > 0 and x["rss_synced_kib"] > 1000, x
    for x in runs[:2]:
        churns = [x["steady"]] + x["bursts"]
        assert len(churns) == 3
        for c in churns:
            # The last event of each churn was answered (the bench waits for it), soon.
            assert c["lag_s"] is not None and c["lag_s"] < 5, c
            assert c["cpu_ms_per_event"] > 0, c
        assert x["programming"]["count"] > 0, x  # the headless services' changes were timed
    report = (out / "KUBERNETES.md").read_text()
    assert "CoreDNS 1.12.3, reference" in report
    assert "bytes_per_pod" in doc["per_unit"]
