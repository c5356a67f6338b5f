"""autopath against the failure the project grew from (test_fakeip_gateway.py): the cluster
DNS walks the pod's search path itself (`autopath @kubernetes`, `pods verified`), so the
pod's first query gets the final answer. Where the walk ends depends on the node's search
list, which CoreDNS (and cxxdns) read from the server's own /etc/resolv.conf: the test
gives the server one in a private mount namespace (unshare -m, a bind mount), as a pod has
its own.
- The node's list has `lan` (the gateway's domain): the walk asks www.example.com.lan, the
  gateway fakes it, and the failure moves into the server: one query, same wrong address.
- The node's list is empty: the walk ends at the name as given, and the pod gets the
  gateway's address for the real name on its first query."""
import json
import os
import subprocess

import pytest

import harness
from harness import SOURCE_DIR, Cxxdns

EXAMPLES = SOURCE_DIR / "Corefile.examples" / "fakeip-gateway"
SEARCH = ["default.svc.cluster.local", "svc.cluster.local", "cluster.local", "lan"]


def resolve(cluster_port, name="www.example.com"):
    out = subprocess.run(
        [harness.cxxdns_bin(), "resolve", name, "--server", f"127.0.0.1:{cluster_port}",
         "--search", *SEARCH, "--ndots", "5", "--json"],
        capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout)


@pytest.fixture
def cluster(start_unbound, tmp_path):
    """The internet (unbound), the fake-IP gateway, and the cluster DNS with autopath whose
    /etc/resolv.conf holds the search line the test gives."""
    up = start_unbound(local_zones=["example.com.", "lan."],
                       local_data=["www.example.com. 300 IN A 93.184.215.14"])
    started = []

    def start(node_search):
        gport, cport = harness.free_port(), harness.free_port()
        env = {**os.environ, "GATEWAY_PORT": str(gport), "UPSTREAM_PORT": str(up.port),
               "CLUSTER_PORT": str(cport),
               "CLUSTER_STATE": str(SOURCE_DIR / "test" / "data" / "k8s" / "cluster-client.json")}
        gw = Cxxdns(None, conf_arg=False, port=gport, env=env,
                    args=["-conf", str(EXAMPLES / "gateway.Corefile")])
        started.append(gw)
        resolv = tmp_path / f"resolv-{cport}.conf"
        # No nameserver line: autopath reads only the search list, nothing is asked there.
        resolv.write_text(f"search {node_search}\n" if node_search else "options ndots:5\n")
        # The server sees `resolv` as /etc/resolv.conf; unshare and sh exec, so the pid the
        # harness holds is the server's own.
        wrapper = tmp_path / f"with-resolv-{cport}.sh"
        wrapper.write_text("#!/bin/sh\nexec unshare -m sh -c 'mount --bind \"$0\" "
                           "/etc/resolv.conf && exec \"$@\"' " + f"{resolv} "
                           f"{harness.cxxdns_bin()} \"$@\"\n")
        wrapper.chmod(0o755)
        cl = Cxxdns(None, conf_arg=False, port=cport, env=env, binary=str(wrapper),
                    args=["-conf", str(EXAMPLES / "cluster-autopath.Corefile")])
        started.append(cl)
        return gw, cl

    yield start
    for s in reversed(started):
        s.close()


def test_with_the_gateway_domain_in_the_node_search_list_the_failure_moves_inside(cluster):
    gw, cl = cluster("lan")
    r = resolve(cl.port)
    # One query: the server walked the path and answered the first candidate.
    assert len(r["attempts"]) == 1, r
    first = r["attempts"][0]
    assert first["name"] == "www.example.com.default.svc.cluster.local."
    assert first["rcode"] == "NOERROR", first
    cname = [a for a in first["answers"] if a.split()[3] == "CNAME"]
    assert cname and cname[0].split()[-1] == "www.example.com.lan.", first
    fake = [a for a in first["answers"] if a.split()[3] == "A"][0].split()[-1]
    assert fake.startswith(("198.18.", "198.19.")), first
    ptr = harness.kdig(".".join(reversed(fake.split("."))) + ".in-addr.arpa", "PTR", gw.port)
    assert ptr.rdatas("PTR") == ["www.example.com.lan."], ptr.raw


def test_without_it_the_first_query_ends_at_the_real_name(cluster):
    gw, cl = cluster("")
    r = resolve(cl.port)
    assert len(r["attempts"]) == 1, r
    first = r["attempts"][0]
    assert first["rcode"] == "NOERROR", first
    cname = [a for a in first["answers"] if a.split()[3] == "CNAME"]
    assert cname and cname[0].split()[-1] == "www.example.com.", first
    fake = [a for a in first["answers"] if a.split()[3] == "A"][0].split()[-1]
    ptr = harness.kdig(".".join(reversed(fake.split("."))) + ".in-addr.arpa", "PTR", gw.port)
    assert ptr.rdatas("PTR") == ["www.example.com."], ptr.raw


def test_a_client_that_is_not_a_pod_walks_its_own_list(cluster):
    """autopath answers only for a pod it knows (pods verified): the same query from
    127.0.0.2 (no pod) is the plain NXDOMAIN of the cluster name."""
    gw, cl = cluster("lan")
    r = harness.kdig("www.example.com.default.svc.cluster.local", "A", cl.port,
                     extra=["-b", "127.0.0.2"])
    assert r.rcode == "NXDOMAIN", r.raw
