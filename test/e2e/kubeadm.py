"""kubeadm's CoreDNS, as the deploy tests run it: the kube-system/coredns ConfigMap's
Corefile as kubeadm ships it, and the Deployment's container from
deploy/coredns-deployment-patch.yaml (args, probes, ports, security context)."""

from pathlib import Path

import yaml

from harness import SOURCE_DIR

DEPLOY = Path(SOURCE_DIR) / "deploy"

# kubeadm's kube-system/coredns ConfigMap, as it ships.
STOCK_COREFILE = """.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
"""


def coredns_container() -> dict:
    """The `coredns` container of the Deployment patch."""
    patch = yaml.safe_load((DEPLOY / "coredns-deployment-patch.yaml").read_text())
    (c,) = [c for c in patch["spec"]["template"]["spec"]["containers"] if c["name"] == "coredns"]
    return c


def on_loopback(corefile: str, port: int, health: int, ready: int, metrics: int) -> str:
    """The stock Corefile on free 127.0.0.1 ports (the DNS, /health, /ready and /metrics
    ports are all that changes)."""
    return (corefile.replace(".:53 {", f".:{port} {{\n    bind 127.0.0.1")
            .replace("health {", f"health 127.0.0.1:{health} {{")
            .replace("    ready\n", f"    ready 127.0.0.1:{ready}\n")
            .replace("prometheus :9153", f"prometheus 127.0.0.1:{metrics}"))
