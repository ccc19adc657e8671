"""The upgrade family: websocket-style upgrades through the relay (RFC 9110 7.8, 15.2.2).

The client sends one request, perhaps asking to upgrade, perhaps with bytes behind it (a
second request, or what a websocket client sends once it assumes the switch). The backend
answers the k-th request of its connection as the case says: 101 (and then it is a tunnel: it
sends S2C bytes and records what comes until the relay's FIN), 100 then 101, 200 or 426.

Invariants: the client gets a 101 only when its backend sent one to a request that, as
forwarded, asked to upgrade; through a tunnel each side gets exactly the bytes the other sent
after the switch (the client's pipelined bytes included); a backend that sent 101 to a
request that did not ask gets none of the client's bytes as tunnel data; after a declined
upgrade the client's further bytes are read as HTTP (a junk tail is refused, never
forwarded); the backend never sees bytes a strict parser refuses outside a tunnel.
"""
import socket
import threading
import time

import strict

UPGRADE_HEADS = [
    (b"Connection: Upgrade\r\nUpgrade: websocket\r\n", True),
    (b"Connection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n", True),
    (b"connection: upgrade\r\nupgrade: WebSocket\r\n", True),
    (b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
     b"Sec-WebSocket-Version: 13\r\n", True),
    (b"Connection: Upgrade, close\r\nUpgrade: websocket\r\n", True),
    (b"Connection: Upgrade\r\nUpgrade: foo/1, websocket\r\n", True),
    (b"Upgrade: websocket\r\n", False),                      # no upgrade option
    (b"Connection: Upgrade\r\n", False),                      # option without the field
    (b"Connection: Upgrade\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n", False),
    (b"", False),
]
BODIES = [(b"", b""), (b"Content-Length: 5\r\n", b"hello"), (b"Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n")]
TAILS = [b"", b"", b"GET /c{c}/r1 HTTP/1.1\r\nHost: fuzz.example\r\n\r\n", b"\x81\x85mask-frame-bytes",
         b"\x81\x05hello GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", b"\x00\r\n\r\n"]
ANSWERS = ["101", "101", "101-bare", "101+data", "100+101", "200", "426"]


def make(r, case):
    head, asks = r.choice(UPGRADE_HEADS)
    method = b"GET"
    version = b"HTTP/1.1"
    bodyf, body = BODIES[0]
    k = r.random()
    if k < 0.15:
        bodyf, body = r.choice(BODIES[1:])
        method = b"POST"
        asks = False
    elif k < 0.22:
        version = b"HTTP/1.0"
        asks = False
    req = b"%s /c%d/r0 %s\r\nHost: fuzz.example\r\n%s%s\r\n%s" % (method, case, version, head, bodyf, body)
    tail = r.choice(TAILS).replace(b"{c}", b"%d" % case)
    answers = [r.choice(ANSWERS), "200"]
    s2c = b"S2C-%d-" % case + bytes(r.choice(b"xyz\r\n\x00") for _ in range(r.randint(0, 40)))
    return req, tail, asks, answers, s2c


class Backend:
    """Answers by the case's script; switches a connection to a tunnel after its 101."""

    def __init__(self, host, port):
        self.lock = threading.Lock()
        self.case = None
        self.answers = ["200"]
        self.s2c = b""
        self.records = []
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind((host, port))
        self.srv.listen(64)
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            c, _ = self.srv.accept()
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def note(self, case, kind, detail):
        with self.lock:
            self.records.append((case, kind, detail))

    def take(self, case):
        with self.lock:
            mine = [x for x in self.records if x[0] == case]
            self.records = [x for x in self.records if x[0] != case]
            return mine

    def serve(self, c):
        buf = b""
        k = 0
        tunnel = None
        case = None
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                if tunnel is None:
                    case = self.case
                if tunnel is not None:
                    tunnel["in"] += d
                    continue
                buf += d
                msgs, err, pos = strict.parse_requests(buf, True)
                buf = buf[pos:]
                for m in msgs:
                    self.note(case, "req", m)
                    ans = self.answers[min(k, len(self.answers) - 1)]
                    k += 1
                    if ans.startswith("101") or ans == "100+101":
                        head = b"HTTP/1.1 101 Switching Protocols\r\n"
                        if ans != "101-bare":
                            head += b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                        head += b"\r\n"
                        if ans == "100+101":
                            head = b"HTTP/1.1 100 Continue\r\n\r\n" + head
                        tunnel = {"in": buf, "asked": upgrade_asked(m)}
                        buf = b""
                        self.note(case, "101", tunnel)
                        if ans == "101+data":
                            c.sendall(head + self.s2c)
                        else:
                            c.sendall(head)
                            time.sleep(0.003)
                            c.sendall(self.s2c)
                        break
                    if ans == "426":
                        b = b"upgrade please"
                        c.sendall(b"HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                  b"Content-Length: %d\r\n\r\n%s" % (len(b), b))
                    else:
                        b = b"ok " + m.target
                        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(b), b))
                if tunnel is None and err and err.startswith("bad"):
                    self.note(case, "malformed", {"err": err, "bytes": buf[:200].decode("latin-1")})
                    break
        except OSError:
            pass
        finally:
            try:
                c.shutdown(socket.SHUT_WR)
                time.sleep(0.01)
            except OSError:
                pass
            c.close()


def upgrade_asked(m):
    conn = b",".join(v for n, v in m.fields if n == b"connection").lower()
    return any(n == b"upgrade" for n, v in m.fields) and b"upgrade" in [t.strip() for t in conn.split(b",")]


def check(case, req, tail, asks, answers, s2c, got, end, recs):
    from run import relay_error
    viol, doubt = [], []
    fwd = [d for c, k, d in recs if k == "req"]
    tunnels = [d for c, k, d in recs if k == "101"]
    bad = [d for c, k, d in recs if k == "malformed"]
    if bad:
        viol.append("the backend got bytes a strict parser refuses outside a tunnel: %s" % bad)
    head101 = got.find(b"HTTP/1.1 101")
    client_101 = got.startswith(b"HTTP/1.1 101") or got.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101")
    if client_101:
        if not tunnels or not tunnels[0]["asked"]:
            viol.append("the client got a 101 its request did not ask for (as forwarded)")
        else:
            rest = got[got.index(b"\r\n\r\n", head101) + 4:]
            if rest != s2c:
                viol.append("tunnel to the client: sent %r, got %r" % (s2c, rest))
            if tunnels[0]["in"] != tail:
                if end in ("close",) or tunnels[0]["in"] not in (tail[:len(tunnels[0]["in"])],):
                    viol.append("tunnel to the backend: client sent %r, backend got %r" % (tail, tunnels[0]["in"]))
    else:
        for t in tunnels:
            if t["in"] and not t["asked"]:
                viol.append("a backend that sent 101 unasked got tunnel bytes %r" % t["in"][:80])
            elif t["in"]:
                doubt.append("backend switched but the client saw no 101; backend got %r" % t["in"][:80])
        if tunnels and tunnels[0]["asked"] and asks:
            doubt.append("a 101 to an upgrade the client asked for did not reach it (%s)" % end)
    if fwd and upgrade_asked(fwd[0]) and not asks:
        viol.append("the relay offered the server an upgrade the client did not ask for")
    if asks and fwd and not upgrade_asked(fwd[0]):
        doubt.append("the client's upgrade was not offered to the server")
    if end == "timeout":
        viol.append("neither answered nor closed in time")
    verdict = "VIOLATION" if viol else ("relay-stricter" if doubt else "agree")
    return verdict, viol + doubt
