"""The kube-system scenario's inputs: a cluster of 5,000 services as the kubernetes plugin's
state file, and the queries pods with `ndots:5` send for it.

The state file is what `kubectl get namespaces,services,endpointslices,pods -A -o json`
prints (a v1 List; object shapes as in test/data/k8s/cluster.json), generated at bench time
into the work directory and never committed. Everything is deterministic: the same names,
addresses and query order on every run.
"""
import ipaddress
import json
import random

ZONE = "cluster.local"
NAMESPACES = 50
SERVICES_PER_NS = 100  # 50 x 100 = 5,000 services
HEADLESS_EVERY = 10  # every 10th service is headless (clusterIP None): 500 of them
OUTSIDE_NAMES = 400  # distinct names outside the cluster, ext<N>.bench.test
SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")
POD_CIDR = ipaddress.ip_network("10.244.0.0/16")
STAMP = "2026-11-01T10:00:00Z"

# What one pod lookup is, and how often (of 100 lookups). glibc with ndots:5 tries the
# search list first for every name with fewer than 5 dots, A then AAAA per candidate, and
# stops at the first candidate that does not answer NXDOMAIN.
MIX = (("same-namespace short name (svc-i)", 50),
       ("other namespace (svc-i.ns-j)", 25),
       ("outside name (extN.bench.test)", 25))


def _meta(name, ns=None, labels=None):
    m = {"name": name, "uid": f"uid-{ns}-{name}", "resourceVersion": "1000",
         "creationTimestamp": STAMP}
    if ns is not None:
        m["namespace"] = ns
    if labels:
        m["labels"] = labels
    return m


def _namespace(name):
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": _meta(name, labels={"kubernetes.io/metadata.name": name}),
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


def _service(ns, name, cluster_ip, ports):
    ip = cluster_ip or "None"
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(name, ns, {"app": name}),
            "spec": {"type": "ClusterIP", "clusterIP": ip, "clusterIPs": [ip],
                     "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                     "selector": {"app": name},
                     "ports": [{"name": n, "port": p, "protocol": "TCP", "targetPort": p}
                               for n, p in ports]},
            "status": {"loadBalancer": {}}}


def _slice(ns, svc, pods, ports):
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": _meta(f"{svc}-abcde", ns,
                              {"kubernetes.io/service-name": svc,
                               "endpointslice.kubernetes.io/managed-by":
                                   "endpointslice-controller.k8s.io"}),
            "addressType": "IPv4",
            "endpoints": [{"addresses": [ip], "nodeName": f"node-{i % 8}",
                           "targetRef": {"kind": "Pod", "name": pod, "namespace": ns},
                           "conditions": {"ready": True, "serving": True,
                                          "terminating": False}}
                          for i, (pod, ip) in enumerate(pods)],
            "ports": [{"name": n, "port": p, "protocol": "TCP"} for n, p in ports]}


def _pod(ns, name, app, ip):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": _meta(name, ns, {"app": app}),
            "spec": {"containers": [{"name": "main", "image": f"registry.example/{app}"}],
                     "nodeName": "node-1"},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                       "hostIP": "192.168.0.11"}}


def write_state(path):
    """Writes the state file; returns the services as dicts (ns, name, cluster_ip or None for
    a headless one, endpoints = their pod addresses) and the count of each kind."""
    items = [_namespace("default"), _namespace("kube-system")]
    items += [_namespace(f"ns-{j}") for j in range(NAMESPACES)]
    services = []
    pods = []
    next_pod = 10  # pod addresses from 10.244.0.10 on
    for j in range(NAMESPACES):
        ns = f"ns-{j}"
        for i in range(SERVICES_PER_NS):
            g = j * SERVICES_PER_NS + i
            name = f"svc-{i}"
            headless = i % HEADLESS_EVERY == HEADLESS_EVERY - 1
            # Unique cluster IPs from 10.96.1.0 on (10.96.0.x is kubernetes, kube-dns...).
            cip = None if headless else str(SERVICE_CIDR[256 + g])
            ports = ([("grpc", 50051)] if headless else [("http", 80), ("metrics", 9090)])
            eps = []
            for k in range(2 + g % 2):  # 2 or 3 ready endpoints, each a running pod
                pod_name = f"{name}-6d4f8b9c7-{k:05d}"
                ip = str(POD_CIDR[next_pod])
                next_pod += 1
                eps.append((pod_name, ip))
                pods.append(_pod(ns, pod_name, name, ip))
            items.append(_service(ns, name, cip, ports))
            items.append(_slice(ns, name, eps, ports))
            services.append({"ns": ns, "name": name, "cluster_ip": cip,
                             "endpoints": [ip for _, ip in eps]})
    items += pods
    doc = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
           "items": items}
    with open(path, "w") as f:
        # Compact: the JSON encoder's C fast path (indent=4 as kubectl prints would take
        # seconds here and only add whitespace for the plugin's parser to skip).
        json.dump(doc, f, separators=(",", ":"))
    counts = {"namespaces": NAMESPACES + 2, "services": len(services),
              "headless": sum(1 for s in services if s["cluster_ip"] is None),
              "endpointslices": len(services), "pods": len(pods)}
    return services, counts


def pod_lookups(services, lookups, seed=5):
    """What pods ask: `lookups` name lookups, each the whole sequence of queries glibc sends
    for it (kept together in order; lookups shuffled as units). Returns [(qname, qtype,
    expected rcode)] and a summary of the mix."""
    rnd = random.Random(seed)
    weights = [w for _, w in MIX]
    by_ns = {}
    for s in services:
        by_ns.setdefault(s["ns"], []).append(s)
    namespaces = sorted(by_ns, key=lambda n: int(n.split("-")[1]))
    counts = [0] * len(MIX)
    units = []
    for _ in range(lookups):
        own = rnd.choice(namespaces)  # the asking pod's namespace
        search = [f"{own}.svc.{ZONE}", f"svc.{ZONE}", ZONE]
        kind = rnd.choices(range(len(MIX)), weights)[0]
        counts[kind] += 1
        if kind == 0:
            name = rnd.choice(by_ns[own])["name"]
        elif kind == 1:
            other = rnd.choice([n for n in namespaces if n != own])
            name = rnd.choice(by_ns[other])["name"] + "." + other
        else:
            name = f"ext{rnd.randrange(OUTSIDE_NAMES)}.bench.test"
        # Which candidate answers: the first whose name exists.
        if kind == 0:
            hit = 0
        elif kind == 1:
            hit = 1
        else:
            hit = len(search)  # none of the search list: the name as is
        candidates = [f"{name}.{d}" for d in search] + [name]
        unit = []
        for c, qname in enumerate(candidates[:hit + 1]):
            rcode = "NOERROR" if c == hit else "NXDOMAIN"
            unit += [(qname, "A", rcode), (qname, "AAAA", rcode)]
        units.append(unit)
    rnd.shuffle(units)
    queries = [q for u in units for q in u]
    nx = sum(1 for q in queries if q[2] == "NXDOMAIN")
    summary = {"lookups": lookups, "queries": len(queries),
               # [label, percent, lookups]: a list, for results.json keeps dicts sorted
               "mix": [[MIX[k][0], MIX[k][1], counts[k]] for k in range(len(MIX))],
               "outside_names": OUTSIDE_NAMES,
               "expected_nxdomain_share": round(nx / len(queries), 4)}
    return queries, summary


def write_queries(path, queries):
    with open(path, "w") as f:
        for qname, qtype, _ in queries:
            f.write(f"{qname} {qtype}\n")
