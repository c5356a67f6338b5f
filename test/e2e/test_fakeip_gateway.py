"""The failure the project grew from, end to end: a pod's search-list resolution through the
cluster DNS (kubernetes + forward) to a fake-IP gateway (fakeip + forward) to the internet
(unbound). Without a fix the application gets a fake address for a name that does not exist;
with the gateway's `filter` or `verify` it gets the real name's mapping."""
import json
import os
import subprocess

import pytest

import harness
from harness import SOURCE_DIR, Cxxdns, kdig

EXAMPLES = SOURCE_DIR / "Corefile.examples" / "fakeip-gateway"
SEARCH = ["default.svc.cluster.local", "svc.cluster.local", "cluster.local", "lan"]


def internet(start_unbound):
    # The same zones as the example's upstream-unbound.conf.
    return start_unbound(
        local_zones=["example.com.", "example.org.", "lan."],
        local_data=["example.com. 300 IN A 93.184.215.14",
                    "www.example.com. 300 IN A 93.184.215.14",
                    "www.example.org. 300 IN A 93.184.215.15",
                    "gateway.lan. 300 IN A 192.168.1.1"])


def run_example(name, env, port):
    srv = Cxxdns(None, conf_arg=False, port=port,
                 args=["-conf", str(EXAMPLES / name)], env={**os.environ, **env})
    return srv


def resolve(cluster_port, name="www.example.com"):
    out = subprocess.run(
        [harness.cxxdns_bin(), "resolve", name, "--server", f"127.0.0.1:{cluster_port}",
         "--search", *SEARCH, "--ndots", "5", "--trace", "--json"],
        capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout)


@pytest.fixture
def path(start_unbound):
    """Starts the internet, a gateway (Corefile chosen by the test) and the cluster DNS."""
    up = internet(start_unbound)
    started = []

    def start(gateway_corefile):
        gport, cport = harness.free_port(), harness.free_port()
        env = {"GATEWAY_PORT": str(gport), "UPSTREAM_PORT": str(up.port),
               "CLUSTER_PORT": str(cport),
               "CLUSTER_STATE": str(SOURCE_DIR / "test" / "data" / "k8s" / "cluster.json")}
        gw = run_example(gateway_corefile, env, gport)
        started.append(gw)
        cl = run_example("cluster.Corefile", env, cport)
        started.append(cl)
        return gw, cl

    yield start
    for s in started:
        s.close()


def test_the_failure_a_fake_address_for_a_name_that_does_not_exist(path):
    gw, cl = path("gateway.Corefile")
    r = resolve(cl.port)
    names = [a["name"] for a in r["attempts"]]
    # The stub tries the search list first (ndots 5): three cluster names, then the node's.
    assert names == ["www.example.com.default.svc.cluster.local.",
                     "www.example.com.svc.cluster.local.", "www.example.com.cluster.local.",
                     "www.example.com.lan."], r
    assert [a["rcode"] for a in r["attempts"][:3]] == ["NXDOMAIN"] * 3, r
    # kubernetes answered the cluster names itself, and said so.
    assert any("kubernetes" in s for s in r["attempts"][0]["steps"]), r["attempts"][0]
    chosen = r["attempts"][r["chosen"]]
    assert chosen["name"] == "www.example.com.lan."  # a name that does not exist ...
    assert chosen["rcode"] == "NOERROR"
    fake = chosen["answers"][0].split()[-1]
    assert fake.startswith("198.18.") or fake.startswith("198.19."), chosen  # ... faked
    # The gateway maps the address back to the wrong name: the proxy cannot connect to it.
    ptr = kdig(".".join(reversed(fake.split("."))) + ".in-addr.arpa", "PTR", gw.port)
    assert ptr.rdatas("PTR") == ["www.example.com.lan."], ptr.raw


@pytest.mark.parametrize("gateway,why", [
    ("gateway-filter.Corefile", "fakeip: filtered, next"),
    ("gateway-verify.Corefile", "fakeip: verify: upstream said no, answer passed through")])
def test_the_fixes_end_at_the_real_name(path, gateway, why):
    gw, cl = path(gateway)
    r = resolve(cl.port)
    names = [a["name"] for a in r["attempts"]]
    assert names[-1] == "www.example.com.", r
    assert [a["rcode"] for a in r["attempts"][:4]] == ["NXDOMAIN"] * 4, r
    chosen = r["attempts"][r["chosen"]]
    assert chosen["name"] == "www.example.com."
    fake = chosen["answers"][0].split()[-1]
    assert fake.startswith("198.18.") or fake.startswith("198.19."), chosen
    # The path shows why: the gateway filtered or verified the expanded name, and the
    # internet said it does not exist.
    expanded = r["attempts"][3]
    assert expanded["name"] == "www.example.com.lan." and expanded["rcode"] == "NXDOMAIN"
    assert why in expanded["steps"], expanded
    assert any(s.startswith("forward:") and s.endswith("ms") and "NXDOMAIN" in s
               for s in expanded["steps"]), expanded
    ptr = kdig(".".join(reversed(fake.split("."))) + ".in-addr.arpa", "PTR", gw.port)
    assert ptr.rdatas("PTR") == ["www.example.com."], ptr.raw


def test_resolve_prints_each_query_for_a_person(path):
    gw, cl = path("gateway-verify.Corefile")
    out = subprocess.run(
        [harness.cxxdns_bin(), "resolve", "www.example.com", "--server", f"127.0.0.1:{cl.port}",
         "--search", *SEARCH, "--ndots", "5"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("resolving www.example.com A+AAAA via 127.0.0.1:")
    tried = [l for l in lines if l[:4].strip().isdigit()]
    assert len(tried) == 5
    # One column for the names, so the rcodes line up; the chosen one is marked.
    assert len({l.index("NXDOMAIN") if "NXDOMAIN" in l else l.index("NOERROR") for l in tried}) == 1
    assert tried[-1].split()[1] == "www.example.com." and tried[-1].endswith(
        "<- the application gets this")
    assert "\033[" not in out.stdout  # no colours when stdout is not a terminal
