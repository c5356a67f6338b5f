"""A small Kubernetes API server for tests: HTTPS on 127.0.0.1, Python stdlib only.

It speaks the wire format cxxdns's kubernetes plugin reads:

  * GET /api/v1/namespaces, /api/v1/services, /apis/discovery.k8s.io/v1/endpointslices,
    /api/v1/pods: a JSON List with metadata.resourceVersion (items without kind, as the
    real API sends them);
  * the same with ?watch=1&resourceVersion=RV: a chunked stream of one JSON event per line,
    {"type": "ADDED"|"MODIFIED"|"DELETED"|"BOOKMARK"|"ERROR", "object": {...}}; events since
    RV are replayed first; an RV older than the compaction point gets an ERROR event with a
    410 Status, as the real server does;
  * 401 with a Status body when the bearer token is not the accepted one.

The test drives it: put()/delete() objects, gone() (compact history and send 410 to every
open watch), rotate_token(), drop_watches(), stop()/start() (kill and restart on the same
port, keeping the objects). requests records (method, path, authorization) of each request.

    certs = make_certs(tmpdir)
    with FakeApiServer(certs, token="t1") as api:
        api.put(service("default", "web", "10.0.0.10"))
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional

KINDS = {
    "/api/v1/namespaces": "Namespace",
    "/api/v1/services": "Service",
    "/apis/discovery.k8s.io/v1/endpointslices": "EndpointSlice",
    "/api/v1/pods": "Pod",
}
PATHS = {v: k for k, v in KINDS.items()}


def make_certs(directory) -> dict:
    """A self-signed server certificate for 127.0.0.1 (its own CA) and a self-signed client
    certificate, made with the openssl command. Returns their paths."""
    d = Path(directory)
    out = {}
    for who, cn, san in (("server", "127.0.0.1", "IP:127.0.0.1"), ("client", "cxxdns", None)):
        cert, key = d / f"{who}.crt", d / f"{who}.key"
        cmd = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
               "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={cn}"]
        if san:
            cmd += ["-addext", f"subjectAltName={san}"]
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)
        out[f"{who}_cert"], out[f"{who}_key"] = str(cert), str(key)
    return out


# ---- object builders (only the fields DNS reads, as the API returns them) -------------

def namespace(name: str, labels: Optional[dict] = None) -> dict:
    return {"kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}


def service(ns: str, name: str, ip: str = "None", ports=(("http", "TCP", 80),)) -> dict:
    spec = {"type": "ClusterIP", "clusterIP": ip,
            "clusterIPs": [ip] if ip != "None" else ["None"],
            "ports": [{"name": n, "protocol": p, "port": port} for n, p, port in ports]}
    return {"kind": "Service", "metadata": {"namespace": ns, "name": name}, "spec": spec}


def endpointslice(ns: str, service_name: str, ips, name: Optional[str] = None,
                  ports=(("http", "TCP", 80),)) -> dict:
    return {"kind": "EndpointSlice",
            "metadata": {"namespace": ns, "name": name or service_name + "-abcde",
                         "labels": {"kubernetes.io/service-name": service_name}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [ip], "conditions": {"ready": True}} for ip in ips],
            "ports": [{"name": n, "protocol": p, "port": port} for n, p, port in ports]}


def pod(ns: str, name: str, ip: str) -> dict:
    return {"kind": "Pod", "metadata": {"namespace": ns, "name": name},
            "status": {"podIP": ip, "podIPs": [{"ip": ip}]}}


def _key(obj: dict) -> tuple:
    m = obj["metadata"]
    return (m.get("namespace", ""), m["name"])


class FakeApiServer:
    def __init__(self, certs: dict, token: Optional[str] = "t1", port: int = 0,
                 client_ca: Optional[str] = None, start: bool = True):
        self.certs = certs
        self.token = token
        self.client_ca = client_ca
        self.port = port
        self.cond = threading.Condition()
        self.rv = 100
        self.compacted = 0  # watches from an RV below this get 410
        self.objects = {kind: {} for kind in KINDS.values()}
        self.history = []  # (rv, kind, type, object)
        self.requests = []  # (method, path, authorization)
        self.generation = 0  # bumped to end every open watch
        self.gone_generation = 0  # watches ended by gone() send a 410 ERROR first
        self._httpd = None
        self._thread = None
        self._conns = set()
        if start:
            self.start()

    # ---- control ------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def put(self, obj: dict) -> None:
        kind = obj["kind"]
        with self.cond:
            self.rv += 1
            obj = json.loads(json.dumps(obj))
            obj["metadata"]["resourceVersion"] = str(self.rv)
            existed = _key(obj) in self.objects[kind]
            self.objects[kind][_key(obj)] = obj
            self.history.append((self.rv, kind, "MODIFIED" if existed else "ADDED", obj))
            self.cond.notify_all()

    def delete(self, kind: str, ns: str, name: str) -> None:
        with self.cond:
            obj = self.objects[kind].pop((ns, name))
            self.rv += 1
            obj = dict(obj, metadata=dict(obj["metadata"], resourceVersion=str(self.rv)))
            self.history.append((self.rv, kind, "DELETED", obj))
            self.cond.notify_all()

    def bookmark(self) -> None:
        """Sends a BOOKMARK event at the current RV on every open watch."""
        with self.cond:
            self.rv += 1
            for kind in KINDS.values():
                self.history.append((self.rv, kind, "BOOKMARK", {
                    "kind": kind, "metadata": {"resourceVersion": str(self.rv)}}))
            self.cond.notify_all()

    def gone(self) -> None:
        """Compacts the history: every open watch gets a 410 ERROR event and ends; a watch
        from an older RV gets the same, so the client must list again."""
        with self.cond:
            self.compacted = self.rv + 1
            self.history.clear()
            self.gone_generation = self.generation = self.generation + 1
            self.cond.notify_all()

    def rotate_token(self, token: str) -> None:
        """Accepts only `token` from now on and ends open watches (so clients reconnect)."""
        with self.cond:
            self.token = token
        self.drop_watches()

    def drop_watches(self) -> None:
        with self.cond:
            self.generation += 1
            self.cond.notify_all()

    def count(self, pred) -> int:
        with self.cond:
            return sum(1 for r in self.requests if pred(r))

    # ---- lifecycle ----------------------------------------------------------------
    def start(self) -> "FakeApiServer":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.certs["server_cert"], self.certs["server_key"])
        if self.client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(self.client_ca)
        owner = self

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def get_request(self):
                sock, addr = self.socket.accept()
                sock.settimeout(10)
                try:
                    tls = ctx.wrap_socket(sock, server_side=True)
                except (ssl.SSLError, OSError):
                    sock.close()
                    raise
                tls.settimeout(None)
                with owner.cond:
                    if owner._stopping:  # its handshake ended after stop() closed the others
                        tls.close()
                        raise OSError("stopping")
                    owner._conns.add(tls)
                return tls, addr

            def handle_error(self, request, client_address):
                pass  # dropped connections are part of the tests

        self._httpd = Server(("127.0.0.1", self.port), _Handler)
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        self._stopping = False
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Kills the server: closes the listening socket and every connection."""
        if not self._httpd:
            return
        with self.cond:
            self._stopping = True
            self.generation += 1
            self.cond.notify_all()
        # The accept loop ends first: a connection whose TLS handshake was under way (a
        # watch reconnecting) is either in _conns by then or refused by get_request. Taken
        # before, it stayed open, and the client's watch never saw the server go.
        self._httpd.shutdown()
        self._httpd.server_close()
        with self.cond:
            conns = list(self._conns)
            self._conns.clear()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                c.close()
            except OSError:
                pass
        self._thread.join(5)
        self._httpd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _json(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _status(self, code: int, reason: str, message: str) -> None:
        self._json(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                          "message": message, "reason": reason, "code": code})

    def do_GET(self):
        api: FakeApiServer = self.server.owner
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        auth = self.headers.get("Authorization")
        with api.cond:
            api.requests.append(("GET", self.path, auth))
            token = api.token
        if token is not None and auth != f"Bearer {token}":
            return self._status(401, "Unauthorized", "Unauthorized")
        kind = KINDS.get(url.path)
        if not kind:
            return self._status(404, "NotFound", f"the server could not find {url.path}")
        if query.get("watch") in ("1", "true"):
            return self._watch(api, kind, query)
        with api.cond:
            items = [dict(o, kind=None) for o in api.objects[kind].values()]
            rv = api.rv
        for i in items:
            del i["kind"]  # list items carry no kind
        self._json(200, {"kind": kind + "List", "apiVersion": "v1",
                         "metadata": {"resourceVersion": str(rv)}, "items": items})

    def _chunk(self, event: dict) -> None:
        data = (json.dumps(event) + "\n").encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _watch(self, api: FakeApiServer, kind: str, query: dict) -> None:
        try:
            since = int(query.get("resourceVersion") or 0)
        except ValueError:
            return self._status(400, "BadRequest", "bad resourceVersion")
        deadline = time.monotonic() + float(query.get("timeoutSeconds") or 1800)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        gone = {"type": "ERROR", "object": {
            "kind": "Status", "apiVersion": "v1", "status": "Failure",
            "message": "too old resource version", "reason": "Expired", "code": 410}}
        try:
            with api.cond:
                generation = api.generation
                expired = since < api.compacted
            if expired:
                self._chunk(gone)
                return self._end()
            while time.monotonic() < deadline:
                with api.cond:
                    pending = [(rv, t, o) for rv, k, t, o in api.history
                               if k == kind and rv > since]
                    if not pending and api.generation == generation:
                        api.cond.wait(0.2)
                        continue
                    ended = api.generation != generation
                    was_gone = ended and api.gone_generation == api.generation
                    stopping = api._stopping
                if stopping:
                    return
                if was_gone:  # compacted: what happened since is only seen by a new list
                    self._chunk(gone)
                    return self._end()
                for rv, t, o in pending:
                    if t != "BOOKMARK":
                        o = dict(o)
                        o.pop("kind", None)
                    self._chunk({"type": t, "object": o})
                    since = rv
                if ended:
                    return self._end()
            self._end()
        except OSError:
            pass

    def _end(self):
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            pass
        self.close_connection = True
