"""A test certificate authority made with openssl in a test's directory: the CA, a server
certificate for dns.test and 127.0.0.1 signed by it, and a client certificate for
client_auth. Nothing is trusted outside the test: clients are pointed at ca.pem."""
import subprocess
from dataclasses import dataclass
from pathlib import Path

HOSTNAME = "dns.test"


@dataclass
class Pki:
    dir: Path
    ca: Path
    cert: Path
    key: Path
    client_cert: Path
    client_key: Path


def _run(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _signed(d: Path, name: str, subject: str, ext: str):
    _run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-subj", subject, "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=d)
    (d / f"{name}.ext").write_text(ext)
    _run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem",
         cwd=d)


def make_pki(d: Path) -> Pki:
    d.mkdir(parents=True, exist_ok=True)
    _run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-days", "2", "-subj", "/CN=cxxdns test CA", "-keyout", "ca.key", "-out", "ca.pem",
         cwd=d)
    _signed(d, "server", f"/CN={HOSTNAME}",
            f"subjectAltName=DNS:{HOSTNAME},IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    _signed(d, "client", "/CN=cxxdns test client", "extendedKeyUsage=clientAuth\n")
    return Pki(d, d / "ca.pem", d / "server.pem", d / "server.key", d / "client.pem",
               d / "client.key")
