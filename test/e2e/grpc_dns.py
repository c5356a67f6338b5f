"""DNS over gRPC with grpc's own Python library (python3-grpcio), an implementation independent
of cxxdns: CoreDNS's service coredns.dns.DnsService, method Query(DnsPacket) -> DnsPacket,
where `message DnsPacket { bytes msg = 1; }` is encoded here by hand (one field: tag 0x0a,
a varint length, the DNS message), so no generated code is needed."""
from concurrent import futures
from typing import Callable, Optional

import grpc

import harness

METHOD = "/coredns.dns.DnsService/Query"


def encode_packet(msg: bytes) -> bytes:
    n, length = len(msg), b""
    while n >= 0x80:
        length += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return b"\x0a" + length + bytes([n]) + msg if msg else b""


def decode_packet(data: bytes) -> bytes:
    if not data:
        return b""
    assert data[0] == 0x0A, data[:8]
    n, shift, i = 0, 0, 1
    while True:
        b = data[i]
        n |= (b & 0x7F) << shift
        i += 1
        shift += 7
        if not b & 0x80:
            break
    assert len(data) == i + n, (len(data), i, n)
    return data[i:]


def channel(port: int, ca=None, servername: Optional[str] = None,
            host: str = "127.0.0.1") -> grpc.Channel:
    """A plaintext (h2c) channel, or TLS verified against `ca` for `servername`."""
    target = f"{host}:{port}"
    opts = [("grpc.enable_http_proxy", 0)]  # never a proxy from the environment
    if ca is None:
        return grpc.insecure_channel(target, options=opts)
    creds = grpc.ssl_channel_credentials(root_certificates=open(ca, "rb").read())
    if servername:
        opts.append(("grpc.ssl_target_name_override", servername))
    return grpc.secure_channel(target, creds, options=opts)


def query_wire(port: int, wire: bytes, ca=None, servername=None, timeout: float = 3.0,
               method: str = METHOD, host: str = "127.0.0.1") -> bytes:
    """One Query call; the DNS answer's wire form. Raises grpc.RpcError on a failed call."""
    with channel(port, ca, servername, host) as ch:
        call = ch.unary_unary(method, request_serializer=encode_packet,
                              response_deserializer=decode_packet)
        return call(wire, timeout=timeout)


def query(port: int, name: str, qtype: str = "A", qid: int = 0x4747, **kw):
    """`name` asked over gRPC; the parsed answer (harness.Message)."""
    return harness.parse_message(query_wire(port, harness.build_query(name, qtype, qid), **kw))


class Server:
    """A scripted gRPC DnsService on 127.0.0.1 (plaintext or TLS): `answer(query_wire)` gives
    the answer's wire, or raises to fail the call. `calls` counts the queries it saw."""

    def __init__(self, answer: Callable[[bytes, grpc.ServicerContext], bytes],
                 cert=None, key=None):
        self.calls = 0
        self.port = harness.free_port()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))

        def handle(request: bytes, context: grpc.ServicerContext) -> bytes:
            self.calls += 1
            return answer(request, context)

        handler = grpc.method_handlers_generic_handler("coredns.dns.DnsService", {
            "Query": grpc.unary_unary_rpc_method_handler(
                handle, request_deserializer=decode_packet, response_serializer=encode_packet)})
        self.server.add_generic_rpc_handlers((handler,))
        addr = f"127.0.0.1:{self.port}"
        if cert is None:
            self.server.add_insecure_port(addr)
        else:
            creds = grpc.ssl_server_credentials([(open(key, "rb").read(),
                                                  open(cert, "rb").read())])
            self.server.add_secure_port(addr, creds)
        self.server.start()

    def stop(self):
        self.server.stop(grace=None).wait()
