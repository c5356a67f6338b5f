"""bench/run's output: the targets (ratios in the same run), REPORT.md and PNG plots."""
import os
import shutil
import subprocess
import tempfile

SERVERS = ["cxxdns", "dnsdist", "unbound", "kresd", "floor"]
SCENARIOS = [("cache_hit", "cache hit (1,000 names, warm)"),
             ("forward_miss", "forward miss (unique names)"),
             ("fakeip", "fakeip (cxxdns only)"),
             ("kube_system", "kube-system: kubeadm Corefile, 5,000 services (cxxdns only)")]
CXXDNS_ONLY = ("fakeip", "kube_system")  # peers have no such plugin: N/A rows


def _ok(r):
    return r is not None and "failed" not in r


def targets(doc):
    res = doc["results"]
    out = []

    def add(name, status, detail):
        out.append({"name": name, "status": status, "detail": detail})

    for scen, limit in (("cache_hit", 0.6), ("forward_miss", 0.8)):
        c, d, f = (res[scen].get(s) for s in ("cxxdns", "dnsdist", "floor"))
        name = f"{scen.replace('_', ' ')} CPU/query <= {limit}x dnsdist's"
        if _ok(c) and _ok(d) and d["cpu_us_per_query"]:
            ratio = c["cpu_us_per_query"] / d["cpu_us_per_query"]
            status = "met" if ratio <= limit else "not met"
            detail = f"{c['cpu_us_per_query']} / {d['cpu_us_per_query']} us = {ratio:.2f}x"
            if _ok(f):
                # The floor does no DNS work: a target below it is out of reach of any
                # server that uses the kernel's UDP sockets on this machine.
                floor = f["cpu_us_per_query"] / d["cpu_us_per_query"]
                detail += f"; the floor: {f['cpu_us_per_query']} us = {floor:.2f}x"
                if status == "not met" and floor > limit:
                    status = "not met (below the floor)"
            add(name, status, detail)
        else:
            add(name, "not measured", "a run FAILED or was not made")
    for scen in ("cache_hit", "forward_miss"):
        r = res["loss_at_80pct"].get(scen)
        name = f"no lost queries at 80% of the best peer rate ({scen.replace('_', ' ')})"
        if r is None:
            add(name, "not measured", "no peer rate")
        elif not _ok(r):
            add(name, "not met", "FAILED: " + r["failed"])
        else:
            # dnsperf keeps at most -q queries in flight: a slow server loses nothing but
            # does not reach the rate either. Met: no loss and 95% of the rate reached.
            reached = r["qps"] >= 0.95 * r["rate"]
            add(name, "met" if r["lost"] == 0 and reached else "not met",
                f"{r['lost']} lost of {r['sent']} at -Q {r['rate']}, achieved {r['qps']:.0f} qps"
                + ("" if reached else " (rate not reached)"))
    m = res["memory"].get("cxxdns") or {}
    if m.get("idle_default_kib"):
        add("idle RSS <= 10 MiB (default `cache` + `forward`)",
            "met" if m["idle_default_kib"] <= 10 * 1024 else "not met",
            f"{m['idle_default_kib'] / 1024:.1f} MiB (with `cache {{ success 100000 }}`: "
            f"{m['idle_kib'] / 1024:.1f} MiB)")
    else:
        add("idle RSS <= 10 MiB", "not measured", "")
    u = res["memory"].get("unbound") or {}
    name = "RSS with 100,000 cached answers <= unbound's"
    if _ok(m) and _ok(u) and m.get("with_100k_kib") and u.get("with_100k_kib"):
        add(name, "met" if m["with_100k_kib"] <= u["with_100k_kib"] else "not met",
            f"{m['with_100k_kib'] / 1024:.1f} MiB vs {u['with_100k_kib'] / 1024:.1f} MiB")
    else:
        add(name, "not measured", "a fill FAILED or was not made")
    return out


def _cell(r, key, fmt="{}"):
    if r is None:
        return "N/A"
    if "failed" in r:
        return "FAILED"
    v = r.get(key)
    return "-" if v is None else fmt.format(v)


def write(doc, out):
    res = doc["results"]
    L = []
    L.append("# cxxdns benchmarks: cxxdns, dnsdist, unbound and kresd in one run\n")
    L.append(f"Run {doc['date']} by `make bench` (bench/run), {doc['duration_s']} s a measurement, "
             f"{doc['elapsed_s']} s in all. Raw numbers: [results.json](results.json).\n")
    L.append(f"Cache hit and forward miss: {doc.get('rounds', 1)} rounds, the servers taking "
             "turns within each; every figure is the median round's (by CPU/query), and the "
             "CPU of every round is listed. **floor** is not a DNS server: bench/floor's "
             "reference responder (cache hit) and proxy (forward miss) do no DNS work beyond "
             "turning a query into an answer, with the cheapest socket calls (blocking "
             "recvmmsg, sendmmsg): what the kernel's loopback UDP path costs on its own, the "
             "least any server here can cost.\n")
    L.append("## Targets (ratios from this run)\n")
    L.append("| target | this run | status |\n|---|---|---|")
    for t in doc["targets"]:
        L.append(f"| {t['name']} | {t['detail']} | **{t['status']}** |")
    L.append("")
    L.append("## Results\n")
    L.append("CPU/query is the server's utime+stime (from /proc/PID/stat) over the run divided "
             "by the queries it answered: on a small machine the load generator saturates "
             "before the servers do, so qps says more about dnsperf than about the server. "
             "Latency percentiles come from dnsperf -v (one line a query). FAILED: the server "
             "answered wrongly or not at all (probe, most queries lost, or rcodes other than "
             "NOERROR; kube-system: other than NOERROR and NXDOMAIN, or an NXDOMAIN share "
             "more than 3 points off the query file's); N/A: not applicable. CPU time is counted in kernel ticks "
             "(1/100 s); a forward-miss run stops at the end of its names or of the duration, "
             "so it can be shorter than the others and vary more between runs.\n")
    L.append("| scenario | server | qps | lost | CPU us/query | CPU us/query, each round | "
             "avg ms | p50 ms | p99 ms | max ms | RSS after (MiB) |")
    L.append("|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    for scen, title in SCENARIOS:
        for s in SERVERS:
            r = res[scen].get(s)
            if r is None and scen not in CXXDNS_ONLY:
                continue
            if r is None:
                if s != "floor":
                    L.append(f"| {title} | {s} | N/A | | | | | | | | |")
                continue
            if "failed" in r:
                L.append(f"| {title} | {s} | FAILED: {r['failed']} | | | | | | | | |")
                continue
            each = " / ".join(str(x["cpu_us_per_query"]) for x in r.get("rounds", []))
            L.append(f"| {title} | {s} | {r['qps']:.0f} | {r['lost']} | {r['cpu_us_per_query']} | "
                     f"{each} | {r['latency_avg_ms']} | {_cell(r, 'latency_p50_ms')} | "
                     f"{_cell(r, 'latency_p99_ms')} | {r['latency_max_ms']} | "
                     f"{r['rss_after_kib'] / 1024:.1f} |")
    L.append("")
    _kube_system(L, res)
    L.append("### Loss at 80% of the best peer's rate (cxxdns, dnsperf -Q)\n")
    L.append("| scenario | -Q rate | achieved qps | sent | lost | p99 ms |\n|---|---:|---:|---:|---:|---:|")
    for scen, r in res["loss_at_80pct"].items():
        if "failed" in r:
            L.append(f"| {scen} | {r.get('rate')} | FAILED: {r['failed']} | | | |")
        else:
            L.append(f"| {scen} | {r['rate']} | {r['qps']:.0f} | {r['sent']} | {r['lost']} | "
                     f"{_cell(r, 'latency_p99_ms')} |")
    L.append("")
    L.append(f"### Memory (VmRSS)\n")
    m = res["memory"].get("cxxdns") or {}
    if m.get("idle_default_kib"):
        L.append(f"cxxdns with the default `cache` (9984 success + 9984 denial slots) and "
                 f"`forward`, idle: {m['idle_default_kib'] / 1024:.1f} MiB. Its cache reserves "
                 "its slots when it starts and makes them as it fills, so idle memory does not "
                 "grow with the configured capacity.\n")
    L.append(f"Idle: after start and one probe. With 100,000 cached answers: a fresh instance "
             f"after 100,000 distinct names (dnsperf -n 1); every cache holds at least "
             f"{doc['cache_entries']:,} answers.\n")
    L.append("| server | idle MiB | with 100k answers MiB | fill queries answered |\n"
             "|---|---:|---:|---:|")
    for s in SERVERS:
        m = res["memory"].get(s)
        if m is None:
            continue
        fail = f" (FAILED: {m['failed']})" if "failed" in m else ""
        idle = f"{m['idle_kib'] / 1024:.1f}" if m.get("idle_kib") else "-"
        full = f"{m['with_100k_kib'] / 1024:.1f}" if m.get("with_100k_kib") else "-"
        L.append(f"| {s} | {idle} | {full}{fail} | {m.get('fill_completed', '-')} |")
    L.append("")
    plots = plot(doc, out)
    if plots:
        L.append("## Plots\n")
        for p in plots:
            L.append(f"![{p}]({p})")
        L.append("")
    L.append("## Machine\n")
    mach = doc["machine"]
    L.append(f"- CPU: {mach['cpu']}, {mach['cores']} cores usable; "
             f"memory {mach['mem_total_kib'] // 1024} MiB; kernel {mach['kernel']}")
    L.append(f"- load average at start: {' '.join(mach['loadavg_at_start'])} "
             "(a shared machine: other builds may have run at the same time)")
    L.append(f"- pinning: {mach['pinning']}")
    L.append("")
    L.append("## Versions\n")
    for k, v in doc["versions"].items():
        L.append(f"- {k}: {v}")
    L.append("")
    L.append("## Setup and command lines\n")
    L.append("Every server: one worker thread, the same upstream (unbound answering every name "
             "under bench.test with 10.0.0.1 by `local-zone redirect`, refusing every other "
             "name so that nothing is ever asked outside loopback), a cache of at least "
             "100,000 answers (cxxdns `cache { success 100000 }`, its denial cache at the default 9984, dnsdist "
             "`newPacketCache(100000)`, unbound msg-cache 64m / rrset-cache 128m, kresd "
             "`cache.size = 100*MB`), all on 127.0.0.1 with ports picked at run time. "
             "Configurations: bench/peers/*.conf (the team's shared peer configurations) with the "
             "ports replaced; cxxdns: "
             "`cache` + `forward . 127.0.0.1:UPSTREAM`. Scenarios: cache hit = 1,000 names asked "
             "once to warm, then in a loop for the duration; forward miss = up to 500,000 names "
             "never asked before (`u<N>.r<ROUND>.<server>.bench.test`, dnsperf -n 1: no cache "
             "can hit); each round starts each server anew. The floor: "
             "`cxxdns_floor_responder PORT` for cache hits, `cxxdns_floor_proxy PORT UPSTREAM` "
             "(one connected upstream socket) for misses, on the same core as the servers. "
             "fakeip = "
             "cxxdns with `fakeip bench.test`, the 1,000 names (warm); kube-system = cxxdns "
             "with kubeadm's Corefile and a generated cluster (below), the pods' queries "
             "(warm).\n")
    for tag, text in doc.get("corefiles", {}).items():
        L.append(f"cxxdns Corefile ({tag}; the port is picked at run time):\n")
        L.append("```\n" + text.rstrip() + "\n```\n")
    L.append("Command lines (the first instance of each; ports and paths vary):\n")
    L.append("```")
    for k, v in doc["commands"].items():
        L.append(f"{k}: {v}")
    for scen in ("cache_hit", "forward_miss", "kube_system"):
        r = res.get(scen, {}).get("cxxdns")
        if r and "dnsperf" in r:
            L.append(f"dnsperf ({scen}): {r['dnsperf']}")
    for scen, r in res["loss_at_80pct"].items():
        if "dnsperf" in r:
            L.append(f"dnsperf (80% {scen}): {r['dnsperf']}")
    L.append("```\n")
    L.append("## Micro benchmarks (build/bench/cxxdns_micro, Catch2 BENCHMARK)\n")
    L.append("```")
    L.append(doc["micro"]["output"].rstrip())
    L.append("```")
    with open(os.path.join(out, "REPORT.md"), "w") as f:
        f.write("\n".join(L) + "\n")


def _kube_system(L, res):
    """The kube-system scenario: what the cluster and the queries were, what came back."""
    setup = res.get("kube_system_setup")
    if not setup:
        return
    f, q = setup["fixture"], setup["queries"]
    r = (res.get("kube_system") or {}).get("cxxdns") or {}
    L.append("### kube-system (cxxdns only)\n")
    L.append(f"kubeadm's stock Corefile (Corefile.examples/kube-system.Corefile: errors, health "
             f"with lameduck, ready, kubernetes with `pods insecure`, `fallthrough in-addr.arpa "
             f"ip6.arpa`, `ttl 30`, prometheus, forward with `max_concurrent 1000`, cache 30, "
             f"loop, reload, loadbalance), changed only in its addresses: the port and `bind "
             f"127.0.0.1`, the `state` file, forward to the bench upstream instead of "
             f"/etc/resolv.conf, free ports for health, ready and prometheus.\n")
    L.append(f"The cluster (bench/k8s_fixture.py, generated at run time, "
             f"{setup['state_file_bytes'] / 1e6:.1f} MB of `kubectl get namespaces,services,"
             f"endpointslices,pods -A -o json`): {f['namespaces']} namespaces, "
             f"{f['services']:,} services (`svc-0`..`svc-99` in `ns-0`..`ns-49`; "
             f"{f['headless']} headless, the rest ClusterIP with unique addresses in "
             f"10.96.0.0/12), one EndpointSlice each with 2 or 3 ready endpoints (named ports, "
             f"so SRV works), {f['pods']:,} running pods. "
             f"Time from start to the first right cluster answer (the plugin answers SERVFAIL "
             f"until the state is loaded): {setup.get('first_answer_s', '-')} s.\n")
    mix = ", ".join(f"{pct}% {label}" for label, pct, _ in q["mix"])
    L.append(f"The queries: {q['lookups']:,} name lookups by pods with `search "
             f"ns-K.svc.cluster.local svc.cluster.local cluster.local` and `ndots:5` "
             f"({mix}; {q['outside_names']} distinct outside names, which the bench upstream "
             f"answers). Each lookup is the whole sequence glibc sends, A then AAAA per "
             f"candidate, the search list first, until a candidate is not NXDOMAIN: a short "
             f"name hits at the first candidate (2 queries), `svc-i.ns-j` at the second (2 "
             f"NXDOMAIN, 2 answers), an outside name after three NXDOMAIN candidates (6 "
             f"NXDOMAIN, then the name as is through forward, 2 answers). Lookups are shuffled "
             f"as units; {q['queries']:,} queries in all, asked once to warm (cache 30) and "
             f"then in a loop. The first 200 queries are also asked one by one before the run "
             f"and each must get its expected rcode.\n")
    if "nxdomain_share" in r:
        L.append(f"NXDOMAIN share: expected {q['expected_nxdomain_share']:.1%} (from the "
                 f"query file), measured {r['nxdomain_share']:.1%}.\n")
    if r.get("rss_idle_kib"):
        L.append(f"RSS with the 5,000 services loaded: idle {r['rss_idle_kib'] / 1024:.1f} MiB, "
                 f"after the run {r['rss_after_kib'] / 1024:.1f} MiB.\n")
    elif "failed" in r:
        L.append(f"FAILED: {r['failed']}\n")


def plot(doc, out):
    """Bar charts with gnuplot (PNG); none when gnuplot is missing."""
    if not shutil.which("gnuplot"):
        return []
    res = doc["results"]
    work = tempfile.mkdtemp(prefix="cxxdns-plot-")
    charts = [
        ("qps.png", "Queries per second (higher is better)", "qps", lambda r: r["qps"]),
        ("cpu.png", "Server CPU per answered query, microseconds (lower is better)", "us",
         lambda r: r["cpu_us_per_query"]),
        ("latency_p99.png", "Latency p99, milliseconds (lower is better)", "ms",
         lambda r: r.get("latency_p99_ms")),
    ]
    made = []
    try:
        for png, title, ylabel, get in charts:
            rows = [(scen.replace("_", " ").replace("kube system", "kube-system"), [get(res[scen].get(s)) if _ok(res[scen].get(s))
                                               else None for s in SERVERS])
                    for scen, _ in SCENARIOS]
            if _chart(work, out, png, title, ylabel, rows):
                made.append(png)
        rows = []
        for key, label in (("idle_kib", "idle"), ("with_100k_kib", "100k answers")):
            vals = []
            for s in SERVERS:
                m = res["memory"].get(s) or {}
                v = m.get(key) if "failed" not in m else None
                vals.append(None if v is None else round(v / 1024, 1))
            rows.append((label, vals))
        k = (res.get("kube_system") or {}).get("cxxdns") or {}
        if k.get("rss_idle_kib"):
            rows.append(("kube-system, 5,000 services",
                         [round(k["rss_idle_kib"] / 1024, 1) if s == "cxxdns" else None
                          for s in SERVERS]))
        if _chart(work, out, "rss.png", "Resident memory, MiB (lower is better)", "MiB", rows):
            made.append("rss.png")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return made


def _chart(work, out, png, title, ylabel, rows):
    """One clustered bar chart; only servers with a number get a bar. False: nothing to plot."""
    cols = [i for i in range(len(SERVERS)) if any(v[i] is not None for _, v in rows)]
    if not cols:
        return False
    dat = os.path.join(work, png + ".dat")
    with open(dat, "w") as f:
        f.write("x " + " ".join(SERVERS[i] for i in cols) + "\n")
        for label, vals in rows:
            f.write(f'"{label}" ' + " ".join("NaN" if vals[i] is None else str(vals[i])
                                            for i in cols) + "\n")
    try:
        _gnuplot(work, os.path.join(out, png), title, ylabel, dat, len(cols))
    except RuntimeError as e:
        print(f"warning: {png} not drawn: {e}")
        return False
    return True


def _gnuplot(work, png, title, ylabel, dat, ncols):
    script = f"""
set terminal pngcairo size 800,420 font ",10" noenhanced
set output "{png}"
set title "{title}"
set ylabel "{ylabel}"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set key top right autotitle columnheader
set yrange [0:*]
set grid ytics
plot for [i=2:{ncols + 1}] "{dat}" using i:xtic(1)
"""
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True, cwd=work)
    if r.returncode != 0:
        # pngcairo may be missing from a gnuplot build: the plain png terminal then.
        r = subprocess.run(["gnuplot"], input=script.replace("pngcairo", "png"), text=True,
                           capture_output=True, cwd=work)
        if r.returncode != 0:
            raise RuntimeError("gnuplot: " + r.stderr)
