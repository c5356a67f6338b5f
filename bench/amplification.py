#!/usr/bin/python3
"""Amplification factors (UDP answer bytes / query bytes) of a kubeadm-shaped Corefile.

Runs cxxdns on Corefile.examples/kube-system.Corefile, changed only where it must be to run
here (its port, the health/ready/metrics ports, the state file, the forward target), against
a cluster with a headless service of 4,200 endpoints and a real unbound upstream holding a
large TXT rrset (max-udp-size 65535: an upstream that sends what it is asked for). Every
query goes over UDP from 127.0.0.1 with the client's EDNS size as given; the factor is the
bytes of the answer over the bytes of the query (DNS payloads, no IP/UDP headers).

Then the same queries with what a user can set: `bufsize 1232` (UDP answers truncated to
1232 bytes), and `acl` allowing only the cluster's networks (a spoofed source outside them is
refused, its answer a bare header).

    bench/amplification.py --bin build/cxxdns [--json out.json]
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "test" / "e2e"))
import harness  # noqa: E402

ENDPOINTS = 4200
TXT_RECORDS = 240  # of one 250-byte string each: about 63 KB


def state(path: Path):
    base = json.loads((ROOT / "test/data/k8s/cluster.json").read_text())
    items = base["items"]
    svc = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "big", "namespace": "prod", "uid": "uid-big",
                        "resourceVersion": "1", "creationTimestamp": "2026-11-01T10:00:00Z"},
           "spec": {"clusterIP": "None", "clusterIPs": ["None"], "type": "ClusterIP",
                    "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}
    items.append(svc)
    for s in range(ENDPOINTS // 100):  # EndpointSlices of 100, as the controller makes them
        items.append({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": f"big-{s:05d}", "namespace": "prod", "uid": f"uid-big-{s}",
                         "resourceVersion": "1",
                         "labels": {"kubernetes.io/service-name": "big"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [f"10.245.{(s * 100 + i) // 250}.{(s * 100 + i) % 250 + 1}"],
                           "conditions": {"ready": True}} for i in range(100)],
            "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]})
    path.write_text(json.dumps(base))


def corefile(port, state_path, upstream, health, ready, metrics, extra=""):
    text = (ROOT / "Corefile.examples" / "kube-system.Corefile").read_text()
    text = text.replace(".:53 {", f".:{port} {{\n{extra}", 1)
    text = re.sub(r"^(\s*)state \S+$", rf"\g<1>state {state_path}", text, count=1, flags=re.M)
    text = text.replace("forward . /etc/resolv.conf", f"forward . 127.0.0.1:{upstream}", 1)
    text = text.replace("health {", f"health 127.0.0.1:{health} {{", 1)
    text = text.replace("    ready\n", f"    ready 127.0.0.1:{ready}\n", 1)
    text = text.replace("prometheus :9153", f"prometheus 127.0.0.1:{metrics}", 1)
    return text


QUERIES = [
    # (label, name, type)
    ("headless service, 4,200 endpoints: SRV", "big.prod.svc.cluster.local", "SRV"),
    ("headless service, 4,200 endpoints: A", "big.prod.svc.cluster.local", "A"),
    ("named port of it: SRV", "_http._tcp.big.prod.svc.cluster.local", "SRV"),
    ("upstream TXT rrset (63 KB)", "t.example.net", "TXT"),
    ("a cluster service: A", "web.prod.svc.cluster.local", "A"),
    ("a name that does not exist", "nope.prod.svc.cluster.local", "A"),
]


def measure(port, bufsize, source="127.0.0.1"):
    rows = []
    for label, name, qtype in QUERIES:
        q = harness.build_query(name, qtype, 0x4141, bufsize=bufsize)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((source, 0))
        s.settimeout(3)
        s.sendto(q, ("127.0.0.1", port))
        try:
            a = s.recv(65535)
        except socket.timeout:
            a = b""
        s.close()
        m = harness.parse_message(a) if a else None
        rows.append({"query": label, "qname": name, "qtype": qtype,
                     "edns": bufsize, "query_bytes": len(q), "answer_bytes": len(a),
                     "tc": bool(m and m.tc), "rcode": m.rcode if m else None,
                     "factor": round(len(a) / len(q), 1)})
    return rows


def table(title, rows):
    out = [f"\n{title}\n", "| query | EDNS | query bytes | answer bytes | TC | factor |",
           "|---|---:|---:|---:|---|---:|"]
    for r in rows:
        out.append(f"| {r['query']} ({r['qtype']}) | {r['edns'] or 'none'} | {r['query_bytes']} "
                   f"| {r['answer_bytes']} | {'yes' if r['tc'] else ''} | {r['factor']}x |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("CXXDNS_BIN", str(ROOT / "build/cxxdns")))
    ap.add_argument("--json")
    args = ap.parse_args()
    os.environ["CXXDNS_BIN"] = os.path.abspath(args.bin)
    local = [f't.example.net. 300 IN TXT "{i:03d}{"x" * 247}"' for i in range(TXT_RECORDS)]
    results = {}
    with harness.Unbound(local_zones=["example.net."], local_data=local,
                         extra="  max-udp-size: 65535\n  edns-buffer-size: 65535\n"
                               "  msg-buffer-size: 65552\n") as up:
        for mode, extra in (("as kubeadm ships it", ""), ("with bufsize 1232", "    bufsize 1232\n"),
                            ("with acl (cluster networks only)",
                             "    acl {\n        allow net 10.0.0.0/8 192.168.0.0/16\n"
                             "        block\n    }\n")):
            port = harness.free_port()
            ports = [harness.free_port() for _ in range(3)]
            d = Path(os.environ.get("TMPDIR", "/tmp")) / f"amp-{os.getpid()}-{port}"
            d.mkdir(parents=True, exist_ok=True)
            state(d / "cluster.json")
            cf = corefile(port, d / "cluster.json", up.port, *ports, extra=extra)
            with harness.Cxxdns(cf, port=port, tmpdir=d) as srv:
                rows = []
                for bufsize in (65535, 4096, 1232, None):
                    rows += measure(srv.port, bufsize)
                results[mode] = rows
                srv.stop()
            subprocess.run(["rm", "-rf", str(d)])
    text = ""
    for mode, rows in results.items():
        worst = max(rows, key=lambda r: r["factor"])
        text += table(f"{mode}: worst {worst['factor']}x ({worst['query']}, EDNS "
                      f"{worst['edns'] or 'none'})", rows) + "\n"
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
