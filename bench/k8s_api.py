"""A scripted Kubernetes API server for the kubernetes bench: plain HTTP on 127.0.0.1,
Python stdlib only, fast enough not to be what is measured.

It holds a generated cluster (N services in N/50 namespaces, one EndpointSlice each with E
ready endpoints, every tenth service headless; optionally P running pods) and serves what
the kubernetes plugin reads:

  * GET /api/v1/namespaces, /api/v1/services, /apis/discovery.k8s.io/v1/endpointslices,
    /api/v1/pods: paged Lists (limit, continue), each page serialized once;
  * the same with ?watch=1&resourceVersion=RV: a chunked stream of one JSON event a line,
    the events since RV first.

churn(i) replaces the addresses of service i's EndpointSlice (a MODIFIED event stamped with
endpoints.kubernetes.io/last-change-trigger-time, as the EndpointSlice controller does) and
returns the DNS name that exists only once the event is applied. Object shapes are those of
a real API server (managed labels, targetRef, conditions, nodeName, zone), so that parsing
costs what it costs against one.
"""
import ipaddress
import json
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")
POD_CIDR = ipaddress.ip_network("10.128.0.0/9")
PER_NAMESPACE = 50
PATHS = {"/api/v1/namespaces": "Namespace", "/api/v1/services": "Service",
         "/apis/discovery.k8s.io/v1/endpointslices": "EndpointSlice", "/api/v1/pods": "Pod"}
STAMP = "2026-11-01T10:00:00Z"


def _now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _meta(name, ns, rv, labels=None, annotations=None):
    m = {"name": name, "uid": f"{ns or 'cluster'}-{name}-0000-4000-8000", "resourceVersion": str(rv),
         "creationTimestamp": STAMP}
    if ns:
        m["namespace"] = ns
    if labels:
        m["labels"] = labels
    if annotations:
        m["annotations"] = annotations
    return m


class Cluster:
    """The objects, generated deterministically."""

    def __init__(self, services, endpoints=5, pods=0, headless_every=10):
        self.n = services
        self.endpoints = endpoints
        self.headless_every = headless_every
        self.namespaces = [f"ns-{j}" for j in range(max(1, (services + PER_NAMESPACE - 1)
                                                        // PER_NAMESPACE))]
        self.next_ip = 10
        self.rv = 1000
        self.objects = {"Namespace": [], "Service": [], "EndpointSlice": [], "Pod": []}
        for ns in self.namespaces:
            self.objects["Namespace"].append(
                {"metadata": _meta(ns, None, 1, {"kubernetes.io/metadata.name": ns}),
                 "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
        for i in range(services):
            self.objects["Service"].append(self.service(i))
            self.objects["EndpointSlice"].append(self.slice(i, self.fresh_ips(endpoints)))
        for p in range(pods):
            self.objects["Pod"].append(self.pod(p))

    def ns_name(self, i):
        return self.namespaces[i // PER_NAMESPACE], f"svc-{i % PER_NAMESPACE}"

    def headless(self, i):
        return i % self.headless_every == self.headless_every - 1

    def fresh_ips(self, count):
        out = []
        for _ in range(count):
            out.append(str(POD_CIDR[self.next_ip]))
            self.next_ip += 1
        return out

    def service(self, i):
        ns, name = self.ns_name(i)
        ip = "None" if self.headless(i) else str(SERVICE_CIDR[256 + i])
        return {"metadata": _meta(name, ns, 1, {"app": name}),
                "spec": {"type": "ClusterIP", "clusterIP": ip, "clusterIPs": [ip],
                         "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                         "internalTrafficPolicy": "Cluster", "sessionAffinity": "None",
                         "selector": {"app": name},
                         "ports": [{"name": "http", "port": 80, "protocol": "TCP",
                                    "targetPort": 8080}]},
                "status": {"loadBalancer": {}}}

    def slice(self, i, ips, rv=1, changed=STAMP):
        ns, name = self.ns_name(i)
        return {"metadata": _meta(f"{name}-abcde", ns, rv,
                                  {"kubernetes.io/service-name": name,
                                   "endpointslice.kubernetes.io/managed-by":
                                       "endpointslice-controller.k8s.io"},
                                  {"endpoints.kubernetes.io/last-change-trigger-time": changed}),
                "addressType": "IPv4",
                "endpoints": [{"addresses": [ip],
                               "conditions": {"ready": True, "serving": True,
                                              "terminating": False},
                               "nodeName": f"node-{k % 16}", "zone": "zone-a",
                               "targetRef": {"kind": "Pod", "namespace": ns,
                                             "name": f"{name}-7d9f8c6b5-{k:05d}",
                                             "uid": f"pod-{i}-{k}"}}
                              for k, ip in enumerate(ips)],
                "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}

    def pod(self, p):
        ns = self.namespaces[p % len(self.namespaces)]
        ip = str(POD_CIDR[4_000_000 + p])
        return {"metadata": _meta(f"pod-{p}-7d9f8c6b5-x2v4q", ns, 1, {"app": f"app-{p % 97}"}),
                "spec": {"nodeName": f"node-{p % 16}",
                         "containers": [{"name": "main", "image": "registry.example/app:1"}]},
                "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                           "hostIP": f"192.168.0.{p % 16}", "qosClass": "BestEffort"}}

    def pod_ip(self, p):
        return str(POD_CIDR[4_000_000 + p])


class ScriptedApi:
    def __init__(self, cluster):
        self.cluster = cluster
        self.cond = threading.Condition()
        self.history = {k: [] for k in PATHS.values()}  # kind -> [(rv, event line bytes)]
        self.pages = {}
        self.requests = 0
        self._httpd = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        owner = self

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def handle_error(self, request, client_address):
                pass

        self._httpd = Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = owner
        self.port = self._httpd.server_address[1]
        self._stopping = False
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if not self._httpd:
            return
        with self.cond:
            self._stopping = True
            self.cond.notify_all()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd = None

    def page(self, kind, offset, limit):
        """One page of a List, serialized once (with the RV of the first request)."""
        key = (kind, offset, limit)
        with self.cond:
            if key not in self.pages:
                items = self.cluster.objects[kind]
                end = min(len(items), offset + limit)
                meta = {"resourceVersion": str(self.cluster.rv)}
                if end < len(items):
                    meta["continue"] = str(end)
                body = {"kind": kind + "List", "apiVersion": "v1", "metadata": meta,
                        "items": items[offset:end]}
                self.pages[key] = json.dumps(body, separators=(",", ":")).encode()
            return self.pages[key]

    def churn(self, i):
        """Replaces service i's endpoint addresses (a MODIFIED event); returns the name that
        resolves once the event is applied, and the time the event was made."""
        c = self.cluster
        ips = c.fresh_ips(c.endpoints)
        with self.cond:
            c.rv += 1
            obj = c.slice(i, ips, rv=c.rv, changed=_now())
            c.objects["EndpointSlice"][i] = obj
            line = json.dumps({"type": "MODIFIED", "object": obj}, separators=(",", ":"))
            self.history["EndpointSlice"].append((c.rv, line.encode() + b"\n"))
            self.pages = {k: v for k, v in self.pages.items() if k[0] != "EndpointSlice"}
            self.cond.notify_all()
            made = time.monotonic()
        ns, name = c.ns_name(i)
        return f"{ips[0].replace('.', '-')}.{name}.{ns}.svc.cluster.local", made


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle's algorithm the body would wait
    # for the client's delayed ACK (40 ms a request).
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_GET(self):
        api = self.server.owner
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        kind = PATHS.get(url.path)
        with api.cond:
            api.requests += 1
        if not kind:
            return self._send(404, b'{"kind":"Status","code":404}')
        if q.get("watch") in ("1", "true"):
            return self._watch(api, kind, q)
        body = api.page(kind, int(q.get("continue") or 0), int(q.get("limit") or 500))
        self._send(200, body)

    def _send(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _watch(self, api, kind, q):
        since = int(q.get("resourceVersion") or 0)
        deadline = time.monotonic() + float(q.get("timeoutSeconds") or 1800)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        hist = api.history[kind]
        sent = 0  # index in hist of the first event not sent
        try:
            while time.monotonic() < deadline:
                with api.cond:
                    while sent < len(hist) and hist[sent][0] <= since:
                        sent += 1
                    if sent == len(hist) and not api._stopping:
                        api.cond.wait(0.5)
                        continue
                    if api._stopping:
                        return
                    batch = b"".join(line for _, line in hist[sent:])
                    since = hist[-1][0]
                    sent = len(hist)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(batch), batch))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            pass
        self.close_connection = True


def _serve(conn, services, endpoints, pods):
    api = ScriptedApi(Cluster(services, endpoints, pods)).start()
    for kind, items in api.cluster.objects.items():  # every page serialized before the clock
        for off in range(0, max(1, len(items)), 500):
            api.page(kind, off, 500)
    conn.send(api.port)
    while True:
        cmd = conn.recv()
        if cmd[0] == "churn":
            conn.send(api.churn(cmd[1]))
        elif cmd[0] == "requests":
            conn.send(api.requests)
        else:
            api.stop()
            conn.send(None)
            return


class ApiProcess:
    """The scripted API in a process of its own: the bench's own threads (the queries that
    wait for answers) must not hold Python's interpreter lock while the API serves lists."""

    def __init__(self, services, endpoints=5, pods=0):
        import multiprocessing
        self.layout = Cluster(0)  # names only: what the generated objects are called
        self.layout.n, self.layout.endpoints = services, endpoints
        self.layout.namespaces = [f"ns-{j}" for j in range(
            max(1, (services + PER_NAMESPACE - 1) // PER_NAMESPACE))]
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, services, endpoints, pods),
                                daemon=True)
        self.proc.start()
        self.port = self.conn.recv()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def churn(self, i):
        self.conn.send(("churn", i))
        return self.conn.recv()

    def stop(self):
        if self.proc.is_alive():
            self.conn.send(("stop",))
            self.conn.recv()
            self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
