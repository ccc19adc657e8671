#!/usr/bin/env python3
"""Differential probe of two HTTP proxies in front of one scripted backend. See README.md.

diffprobe.py A_NAME=A_HOST:PORT=A_BACKEND_PORT B_NAME=B_HOST:PORT=B_BACKEND_PORT
             [--backend-host H] [--only SUBSTR] [--out FILE] [--ctl 'hoststatectl -s SOCK']

Each case sends the same raw client bytes to both proxies at once; the backend listens on both
backend ports (one per proxy) and answers each request it can frame with a 200 naming it (its
line and body length), except that in a response case the first request head to reach each
port gets the case's scripted response. For each proxy it records the statuses the client got,
the requests (request line, body length) or raw bytes that reached the backend, and the client
connection's fate: FIN, RST or open (still open after the read window). Cases whose summaries
differ are printed side by side; every case's full record goes to --out as JSON lines.
"""
import argparse
import json
import re
import socket
import struct
import subprocess
import sys
import threading
import time

# ---------------------------------------------------------------- backend

class Backend:
    """One listener per proxy. What each connection receives while a case runs is logged under
    that case and port (a proxy may carry a case's requests over a connection of an earlier case).
    In a case with a script, the first request head to arrive on each port gets the script; every
    other request gets the echo answer."""

    def __init__(self, host, ports):
        self.mode = "echo"
        self.log = {p: {} for p in ports}
        self.scripted = set()
        self.lock = threading.Lock()
        self.ids = 0
        for p in ports:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, p))
            s.listen(128)
            threading.Thread(target=self._accept, args=(s, p), daemon=True).start()

    def reset(self, mode):
        with self.lock:
            self.mode = mode
            self.scripted = set()
            for p in self.log:
                self.log[p] = {}

    def _rec(self, port, cid):
        with self.lock:
            return self.log[port].setdefault(cid, {"bytes": bytearray(), "requests": [], "fate": "open"})

    def _accept(self, s, port):
        while True:
            c, _ = s.accept()
            with self.lock:
                self.ids += 1
                cid = self.ids
            self._rec(port, cid)
            threading.Thread(target=self._serve, args=(c, port, cid), daemon=True).start()

    def _serve(self, c, port, cid):
        c.settimeout(6)
        buf = [b""]
        try:
            while True:
                self._fill(c, port, cid, buf, lambda b: b"\r\n\r\n" in b)
                with self.lock:
                    script = self.mode if self.mode != "echo" and port not in self.scripted else None
                    if script:
                        self.scripted.add(port)
                if script:
                    head = buf[0].split(b"\r\n", 1)[0].decode("latin-1")
                    self._rec(port, cid)["requests"].append([head, -1])
                    buf[0] = b""
                    if not self._script(c, port, cid, script):
                        return
                else:
                    self._echo(c, port, cid, buf)
        except EOFError:
            self._rec(port, cid)["fate"] = "FIN"
        except (ConnectionError, socket.timeout, OSError) as e:
            self._rec(port, cid)["fate"] = type(e).__name__
        except (ValueError, IndexError):
            self._rec(port, cid)["fate"] = "backend-could-not-frame"
        finally:
            try:
                c.close()
            except OSError:
                pass

    def _fill(self, c, port, cid, buf, done):
        while not done(buf[0]):
            d = c.recv(65536)
            if not d:
                raise EOFError
            self._rec(port, cid)["bytes"] += d
            buf[0] += d

    def _echo(self, c, port, cid, buf):
        head, buf[0] = buf[0].split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        fields = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(b":")
            fields.setdefault(k.strip().lower(), []).append(v.strip())
        body = b""
        te = b",".join(fields.get(b"transfer-encoding", [])).lower()
        if b"100-continue" in b",".join(fields.get(b"expect", [])).lower():
            c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if te.endswith(b"chunked"):
            while True:
                self._fill(c, port, cid, buf, lambda b: b"\r\n" in b)
                line, buf[0] = buf[0].split(b"\r\n", 1)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    buf[0] = b"\r\n" + buf[0]
                    self._fill(c, port, cid, buf, lambda b: b"\r\n\r\n" in b)
                    _, buf[0] = buf[0].split(b"\r\n\r\n", 1)
                    break
                self._fill(c, port, cid, buf, lambda b: len(b) >= size + 2)
                body += buf[0][:size]
                buf[0] = buf[0][size + 2:]
        elif b"content-length" in fields:
            size = int(fields[b"content-length"][0])
            self._fill(c, port, cid, buf, lambda b: len(b) >= size)
            body, buf[0] = buf[0][:size], buf[0][size:]
        rec = self._rec(port, cid)
        rec["requests"].append([lines[0].decode("latin-1"), len(body)])
        n = len(rec["requests"])
        upg = b",".join(fields.get(b"upgrade", [])).lower()
        if upg == b"websocket" and b"upgrade" in b",".join(fields.get(b"connection", [])).lower():
            c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
            if buf[0]:
                c.sendall(b"T:" + buf[0])
            while True:
                d = c.recv(65536)
                if not d:
                    raise EOFError
                self._rec(port, cid)["bytes"] += d
                c.sendall(b"T:" + d)
        out = ("req%d %s body=%d" % (n, lines[0].decode("latin-1"), len(body))).encode()
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(out), out))

    def _script(self, c, port, cid, steps):
        """steps: bytes to send, ("sleep", s), ("rst",), ("close",), ("shut",). Returns whether
        the connection goes on (as echo)."""
        for st in steps:
            if isinstance(st, (bytes, bytearray)):
                c.sendall(st)
            elif st[0] == "sleep":
                time.sleep(st[1])
            elif st[0] == "rst":
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self._rec(port, cid)["fate"] = "we-reset"
                return False
            elif st[0] == "close":
                self._rec(port, cid)["fate"] = "we-closed"
                return False
            elif st[0] == "shut":
                c.shutdown(socket.SHUT_WR)
        return True

# ---------------------------------------------------------------- client

def client(addr, steps, window):
    """Runs steps (bytes, ("sleep", s), ("shut",)) and reads until EOF, RST, or `window` s of
    silence. Returns (received bytes, fate)."""
    s = socket.create_connection(addr, timeout=3)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    got = bytearray()
    fate = None

    def drain(until):
        nonlocal fate
        while fate is None:
            left = until - time.monotonic()
            if left <= 0:
                return
            s.settimeout(left)
            try:
                d = s.recv(65536)
            except socket.timeout:
                return
            except ConnectionResetError:
                fate = "RST"
                return
            if not d:
                fate = "FIN"
                return
            got.extend(d)
    try:
        for st in steps:
            if isinstance(st, (bytes, bytearray)):
                try:
                    s.sendall(st)
                except (BrokenPipeError, ConnectionResetError):
                    fate = "RST(send)"
                    break
            elif st[0] == "sleep":
                drain(time.monotonic() + st[1])
            elif st[0] == "shut":
                s.shutdown(socket.SHUT_WR)
        last = len(got)
        end = time.monotonic() + window
        while fate is None and time.monotonic() < end:
            drain(min(end, time.monotonic() + 0.3))
            if len(got) != last:
                last = len(got)
                end = time.monotonic() + window
        if fate is None:
            drain(time.monotonic() + 0.01)
    finally:
        s.close()
    return bytes(got), fate or "open"


STATUS = re.compile(rb"(?:^|\r?\n)HTTP/(\d\.\d) (\d{3})")


def statuses(data):
    return [m.group(2).decode() for m in STATUS.finditer(data)]

# ---------------------------------------------------------------- corpus

CRLF = b"\r\n"


def req(line, *fields, body=b"", host=True):
    h = line.encode() + CRLF
    if host:
        h += b"Host: t.example" + CRLF
    for f in fields:
        h += (f.encode("latin-1") if isinstance(f, str) else f) + CRLF
    return h + CRLF + body


G = req("GET / HTTP/1.1")


def corpus():
    c = []

    def add(name, steps, mode="echo", window=1.0):
        if isinstance(steps, (bytes, bytearray)):
            steps = [steps]
        c.append((name, steps, mode, window))

    # Request lines.
    add("rl/basic-1.1", G)
    add("rl/basic-1.0", b"GET / HTTP/1.0\r\n\r\n")
    add("rl/1.0-keepalive-2", b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n")
    add("rl/absolute", req("GET http://t.example/p?q HTTP/1.1"))
    add("rl/absolute-other-host", req("GET http://other.example:8080/p HTTP/1.1"))
    add("rl/absolute-empty-path", req("GET http://t.example HTTP/1.1"))
    add("rl/absolute-https", req("GET https://t.example/x HTTP/1.1"))
    add("rl/absolute-userinfo", req("GET http://u:p@t.example/ HTTP/1.1"))
    add("rl/absolute-ftp", req("GET ftp://t.example/ HTTP/1.1"))
    add("rl/connect", req("CONNECT t.example:443 HTTP/1.1"))
    add("rl/connect-origin", req("CONNECT / HTTP/1.1"))
    add("rl/options-star", req("OPTIONS * HTTP/1.1"))
    add("rl/get-star", req("GET * HTTP/1.1"))
    add("rl/http09", b"GET /\r\n")
    add("rl/http09-close", [b"GET /\r\n", ("shut",)])
    add("rl/h2-preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes.fromhex("000000040000000000"))
    add("rl/http2.0-line", req("GET / HTTP/2.0"))
    add("rl/http1.2", req("GET / HTTP/1.2"))
    add("rl/http3.0", req("GET / HTTP/3.0"))
    add("rl/http1.10", req("GET / HTTP/1.10"))
    add("rl/lowercase-http", req("GET / http/1.1"))
    add("rl/lower-method", req("get / HTTP/1.1"))
    add("rl/odd-method", req("F!OO / HTTP/1.1"))
    add("rl/method-token-chars", req("M-SEARCH / HTTP/1.1"))
    add("rl/long-uri-8k", req("GET /" + "a" * 8000 + " HTTP/1.1"))
    add("rl/long-uri-15k", req("GET /" + "a" * 15000 + " HTTP/1.1"))
    add("rl/long-uri-17k", req("GET /" + "a" * 17000 + " HTTP/1.1"))
    add("rl/long-uri-70k", req("GET /" + "a" * 70000 + " HTTP/1.1"))
    add("rl/pct-ok", req("GET /a%20b%2F HTTP/1.1"))
    add("rl/pct-bad", req("GET /a%zz HTTP/1.1"))
    add("rl/pct-truncated", req("GET /a% HTTP/1.1"))
    add("rl/pct-null", req("GET /a%00b HTTP/1.1"))
    add("rl/fragment", req("GET /a#frag HTTP/1.1"))
    add("rl/query-odd", req('GET /a?x="<|>^` HTTP/1.1'))
    add("rl/path-braces", req("GET /a{b} HTTP/1.1"))
    add("rl/path-8bit", req("GET /\xe9 HTTP/1.1"))
    add("rl/dotdot", req("GET /a/../../etc/passwd HTTP/1.1"))
    add("rl/two-spaces", req("GET  / HTTP/1.1"))
    add("rl/space-in-uri", req("GET /a b HTTP/1.1"))
    add("rl/tab-sep", req("GET\t/\tHTTP/1.1"))
    add("rl/trailing-space", req("GET / HTTP/1.1 "))
    add("rl/leading-crlf", b"\r\n" + G)
    add("rl/leading-crlf-x3", b"\r\n\r\n\r\n" + G)
    add("rl/bare-lf-line", b"GET / HTTP/1.1\nHost: t.example\n\n")
    add("rl/no-version", req("GET /"))
    add("rl/empty-target", req("GET  HTTP/1.1"))
    add("rl/nul-in-line", req("GET /\x00 HTTP/1.1"))
    add("rl/garbage", b"\x16\x03\x01\x00\x05hello")
    # Header fields.
    add("hf/obs-fold", req("GET / HTTP/1.1", "X-A: one", " two"))
    add("hf/obs-fold-tab", req("GET / HTTP/1.1", "X-A: one", "\ttwo"))
    add("hf/fold-first", b"GET / HTTP/1.1\r\n Host: t.example\r\n\r\n")
    add("hf/empty-name", req("GET / HTTP/1.1", ": v"))
    add("hf/no-colon", req("GET / HTTP/1.1", "NoColon"))
    add("hf/space-before-colon", req("GET / HTTP/1.1", "X-A : v"))
    add("hf/odd-name-chars", req("GET / HTTP/1.1", "X(A): v"))
    add("hf/name-at", req("GET / HTTP/1.1", "X@A: v"))
    add("hf/name-token-ok", req("GET / HTTP/1.1", "X!#$%&'*+-.^_`|~A: v"))
    add("hf/nul-value", req("GET / HTTP/1.1", b"X-A: a\x00b"))
    add("hf/cr-value", req("GET / HTTP/1.1", b"X-A: a\rb"))
    add("hf/del-value", req("GET / HTTP/1.1", b"X-A: a\x7fb"))
    add("hf/ctl-value", req("GET / HTTP/1.1", b"X-A: a\x01b"))
    add("hf/8bit-value", req("GET / HTTP/1.1", b"X-A: caf\xe9"))
    add("hf/tab-value", req("GET / HTTP/1.1", b"X-A: a\tb"))
    add("hf/dup-host", req("GET / HTTP/1.1", "Host: t.example"))
    add("hf/dup-host-diff", req("GET / HTTP/1.1", "Host: evil.example"))
    add("hf/no-host-1.1", req("GET / HTTP/1.1", host=False))
    add("hf/no-host-1.0", req("GET / HTTP/1.0", host=False))
    add("hf/empty-host", b"GET / HTTP/1.1\r\nHost:\r\n\r\n")
    add("hf/host-userinfo", b"GET / HTTP/1.1\r\nHost: u@t.example\r\n\r\n")
    add("hf/host-port", b"GET / HTTP/1.1\r\nHost: t.example:80\r\n\r\n")
    add("hf/host-bad-port", b"GET / HTTP/1.1\r\nHost: t.example:8x\r\n\r\n")
    add("hf/host-ipv6", b"GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n")
    add("hf/host-slash", b"GET / HTTP/1.1\r\nHost: t.example/x\r\n\r\n")
    add("hf/host-comma", b"GET / HTTP/1.1\r\nHost: a.example, b.example\r\n\r\n")
    add("hf/host-vs-absolute", req("GET http://a.example/ HTTP/1.1"))
    add("hf/many-99", req("GET / HTTP/1.1", *["X-F%d: v" % i for i in range(98)]))
    add("hf/many-101", req("GET / HTTP/1.1", *["X-F%d: v" % i for i in range(101)]))
    add("hf/many-200", req("GET / HTTP/1.1", *["X-F%d: v" % i for i in range(200)]))
    add("hf/huge-8k", req("GET / HTTP/1.1", "X-Big: " + "b" * 8000))
    add("hf/huge-15k", req("GET / HTTP/1.1", "X-Big: " + "b" * 15500))
    add("hf/huge-17k", req("GET / HTTP/1.1", "X-Big: " + "b" * 17000))
    add("hf/huge-100k", req("GET / HTTP/1.1", "X-Big: " + "b" * 100000))
    add("hf/conn-drops-field", req("GET / HTTP/1.1", "Connection: X-Secret", "X-Secret: s"))
    add("hf/conn-drops-host", req("GET / HTTP/1.1", "Connection: Host"))
    add("hf/conn-drops-cl", req("POST / HTTP/1.1", "Connection: Content-Length", "Content-Length: 3", body=b"abc"))
    add("hf/proxy-connection", req("GET / HTTP/1.1", "Proxy-Connection: close"))
    add("hf/te-trailers", req("GET / HTTP/1.1", "TE: trailers", "Connection: TE"))
    add("hf/underscore-cl", req("POST / HTTP/1.1", "Content_Length: 5", "Content-Length: 3", body=b"abc"))
    # Framing.
    post = lambda *f, body=b"": req("POST / HTTP/1.1", *f, body=body)
    add("fr/cl-ok", post("Content-Length: 3", body=b"abc"))
    add("fr/cl-plus", post("Content-Length: +3", body=b"abc"))
    add("fr/cl-minus", post("Content-Length: -3", body=b"abc"))
    add("fr/cl-leading-zeros", post("Content-Length: 0003", body=b"abc"))
    add("fr/cl-space-inside", post("Content-Length: 3 3", body=b"abc"))
    add("fr/cl-trailing-space", post("Content-Length: 3 ", body=b"abc"))
    add("fr/cl-comma-same", post("Content-Length: 3, 3", body=b"abc"))
    add("fr/cl-comma-diff", post("Content-Length: 3, 4", body=b"abcd"))
    add("fr/cl-two-lines-same", post("Content-Length: 3", "Content-Length: 3", body=b"abc"))
    add("fr/cl-two-lines-diff", post("Content-Length: 3", "Content-Length: 4", body=b"abcd"))
    add("fr/cl-hex", post("Content-Length: 0x3", body=b"abc"))
    add("fr/cl-empty", post("Content-Length:", body=b""))
    add("fr/cl-huge", post("Content-Length: 99999999999999999999", body=b"abc"))
    add("fr/cl-2^63", post("Content-Length: 9223372036854775808", body=b"abc"))
    add("fr/cl-short-body-then-wait", post("Content-Length: 10", body=b"abc"), window=1.5)
    add("fr/cl-extra-bytes", post("Content-Length: 3", body=b"abcGET /smug HTTP/1.1\r\nHost: t\r\n\r\n"))
    add("fr/te-chunked", post("Transfer-Encoding: chunked", body=b"3\r\nabc\r\n0\r\n\r\n"))
    add("fr/te-Chunked-case", post("Transfer-Encoding: ChUnKeD", body=b"3\r\nabc\r\n0\r\n\r\n"))
    add("fr/te-and-cl", post("Transfer-Encoding: chunked", "Content-Length: 3", body=b"3\r\nabc\r\n0\r\n\r\n"))
    add("fr/cl-and-te", post("Content-Length: 3", "Transfer-Encoding: chunked", body=b"3\r\nabc\r\n0\r\n\r\n"))
    add("fr/te-gzip-chunked", post("Transfer-Encoding: gzip, chunked", body=b"3\r\nabc\r\n0\r\n\r\n"))
    add("fr/te-chunked-gzip", post("Transfer-Encoding: chunked, gzip", body=b"3\r\nabc\r\n0\r\n\r\n"))
    add("fr/te-chunked-chunked", post("Transfer-Encoding: chunked, chunked", body=b"3\r\nabc\r\n0\r\n\r\n"))
    add("fr/te-two-lines", post("Transfer-Encoding: chunked", "Transfer-Encoding: chunked", body=b"3\r\nabc\r\n0\r\n\r\n"))
    add("fr/te-identity", post("Transfer-Encoding: identity", "Content-Length: 3", body=b"abc"))
    add("fr/te-xchunked", post("Transfer-Encoding: xchunked", body=b"3\r\nabc\r\n0\r\n\r\n"))
    add("fr/te-space-colon", post("Transfer-Encoding : chunked", body=b"3\r\nabc\r\n0\r\n\r\n"))
    add("fr/te-tab", post("Transfer-Encoding:\tchunked", body=b"3\r\nabc\r\n0\r\n\r\n"))
    add("fr/te-vtab", post(b"Transfer-Encoding: \x0bchunked", body=b"3\r\nabc\r\n0\r\n\r\n"))
    add("fr/te-quoted", post('Transfer-Encoding: "chunked"', body=b"3\r\nabc\r\n0\r\n\r\n"))
    add("fr/te-1.0", req("POST / HTTP/1.0", "Transfer-Encoding: chunked", body=b"3\r\nabc\r\n0\r\n\r\n"))
    add("fr/te-empty", post("Transfer-Encoding:", body=b""))
    add("fr/chunk-ext", post("Transfer-Encoding: chunked", body=b"3;a=b\r\nabc\r\n0;x\r\n\r\n"))
    add("fr/chunk-ext-quoted", post("Transfer-Encoding: chunked", body=b'3;a="b c"\r\nabc\r\n0\r\n\r\n'))
    add("fr/chunk-ext-bare-lf", post("Transfer-Encoding: chunked", body=b"3;a\nb\r\nabc\r\n0\r\n\r\n"))
    add("fr/chunk-size-space", post("Transfer-Encoding: chunked", body=b"3 \r\nabc\r\n0\r\n\r\n"))
    add("fr/chunk-size-leading-zeros", post("Transfer-Encoding: chunked", body=b"0000000000000000003\r\nabc\r\n0\r\n\r\n"))
    add("fr/chunk-size-0x", post("Transfer-Encoding: chunked", body=b"0x3\r\nabc\r\n0\r\n\r\n"))
    add("fr/chunk-size-overflow", post("Transfer-Encoding: chunked", body=b"10000000000000003\r\nabc\r\n0\r\n\r\n"))
    add("fr/chunk-size-neg", post("Transfer-Encoding: chunked", body=b"-3\r\nabc\r\n0\r\n\r\n"))
    add("fr/chunk-size-empty", post("Transfer-Encoding: chunked", body=b"\r\nabc\r\n0\r\n\r\n"))
    add("fr/chunk-data-too-long", post("Transfer-Encoding: chunked", body=b"3\r\nabcd\r\n0\r\n\r\n"))
    add("fr/chunk-no-crlf-after-data", post("Transfer-Encoding: chunked", body=b"3\r\nabc0\r\n\r\n"))
    add("fr/chunk-bare-lf", post("Transfer-Encoding: chunked", body=b"3\nabc\n0\n\n"))
    add("fr/chunk-trailer-ok", post("Transfer-Encoding: chunked", body=b"3\r\nabc\r\n0\r\nX-Digest: d\r\n\r\n"))
    add("fr/chunk-trailer-forbidden", post("Transfer-Encoding: chunked",
        body=b"3\r\nabc\r\n0\r\nContent-Length: 50\r\nHost: evil\r\nX-Forwarded-For: 1.2.3.4\r\nTransfer-Encoding: chunked\r\n\r\n"))
    add("fr/chunk-trailer-fold", post("Transfer-Encoding: chunked", body=b"3\r\nabc\r\n0\r\nX-A: a\r\n b\r\n\r\n"))
    add("fr/chunk-trailer-no-colon", post("Transfer-Encoding: chunked", body=b"3\r\nabc\r\n0\r\nbad\r\n\r\n"))
    add("fr/chunk-no-last", post("Transfer-Encoding: chunked", body=b"3\r\nabc\r\n"), window=1.5)
    add("fr/get-with-cl-body", req("GET / HTTP/1.1", "Content-Length: 3", body=b"abc"))
    add("fr/get-with-chunked-body", req("GET / HTTP/1.1", "Transfer-Encoding: chunked", body=b"3\r\nabc\r\n0\r\n\r\n"))
    add("fr/head-with-body", req("HEAD / HTTP/1.1", "Content-Length: 3", body=b"abc"))
    add("fr/get-body-no-framing", req("GET / HTTP/1.1", body=b"GET /smug HTTP/1.1\r\nHost: t\r\n\r\n"))
    add("fr/pipeline-3-get", G + req("GET /2 HTTP/1.1") + req("GET /3 HTTP/1.1"))
    add("fr/pipeline-post-get", post("Content-Length: 3", body=b"abc") + req("GET /2 HTTP/1.1"))
    add("fr/pipeline-chunked-get", post("Transfer-Encoding: chunked", body=b"3\r\nabc\r\n0\r\n\r\n") + req("GET /2 HTTP/1.1"))
    add("fr/pipeline-split", [G[:10], ("sleep", 0.05), G[10:] + req("GET /2 HTTP/1.1")[:20], ("sleep", 0.05), req("GET /2 HTTP/1.1")[20:]])
    add("fr/pipeline-head-get", req("HEAD / HTTP/1.1") + req("GET /2 HTTP/1.1"))
    add("fr/after-close", req("GET / HTTP/1.1", "Connection: close") + req("GET /2 HTTP/1.1"))
    add("fr/after-close-1.0", b"GET / HTTP/1.0\r\n\r\nGET /2 HTTP/1.0\r\n\r\n")
    add("fr/after-close-junk", req("GET / HTTP/1.1", "Connection: close") + b"\x00\x01junk")
    add("fr/keepalive-then-junk", G + b"junk\r\n\r\n")
    add("fr/conn-close-keepalive-both", req("GET / HTTP/1.1", "Connection: close, keep-alive"))
    add("fr/half-close-after-req", [G, ("shut",)])
    add("fr/half-close-mid-body", [post("Content-Length: 10", body=b"abc"), ("shut",)])
    add("fr/big-body-cl", post("Content-Length: 200000", body=b"x" * 200000))
    add("fr/big-body-chunked", post("Transfer-Encoding: chunked", body=(b"8000\r\n" + b"y" * 0x8000 + b"\r\n") * 6 + b"0\r\n\r\n"))
    # Expect.
    add("ex/100-continue", [post("Expect: 100-continue", "Content-Length: 3"), ("sleep", 0.3), b"abc"])
    add("ex/100-continue-case", [post("Expect: 100-CONTINUE", "Content-Length: 3"), ("sleep", 0.3), b"abc"])
    add("ex/100-continue-1.0", [req("POST / HTTP/1.0", "Expect: 100-continue", "Content-Length: 3"), ("sleep", 0.3), b"abc"])
    add("ex/100-continue-get-nobody", req("GET / HTTP/1.1", "Expect: 100-continue"))
    add("ex/unknown", post("Expect: 200-ok", "Content-Length: 3", body=b"abc"))
    add("ex/100-continue-with-body-sent", post("Expect: 100-continue", "Content-Length: 3", body=b"abc"))
    add("ex/100-continue-never-body", post("Expect: 100-continue", "Content-Length: 3"), window=1.5)
    add("ex/100-continue-chunked", [post("Expect: 100-continue", "Transfer-Encoding: chunked"), ("sleep", 0.3), b"3\r\nabc\r\n0\r\n\r\n"])
    # Upgrade.
    ws = ("Upgrade: websocket", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13")
    add("up/ws", [req("GET /ws HTTP/1.1", "Connection: Upgrade", *ws), ("sleep", 0.3), b"hello"])
    add("up/ws-no-conn", [req("GET /ws HTTP/1.1", *ws), ("sleep", 0.3), b"hello"])
    add("up/ws-1.0", [req("GET /ws HTTP/1.0", "Connection: Upgrade", *ws), ("sleep", 0.3), b"hello"])
    add("up/ws-with-bytes", req("GET /ws HTTP/1.1", "Connection: Upgrade", *ws) + b"early")
    add("up/ws-post-body", req("POST /ws HTTP/1.1", "Connection: Upgrade", "Content-Length: 3", *ws, body=b"abc"))
    add("up/h2c", req("GET / HTTP/1.1", "Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAAQAAP__"))
    add("up/h2c-no-conn", req("GET / HTTP/1.1", "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAAQAAP__"))
    add("up/conn-upgrade-only", req("GET / HTTP/1.1", "Connection: Upgrade"))
    add("fr/pipeline-100-get", b"".join(req("GET /%d HTTP/1.1" % i) for i in range(100)), window=1.5)
    add("fr/post-1.0-no-length", b"POST / HTTP/1.0\r\nHost: t.example\r\n\r\nbody-until-close")
    add("fr/post-1.1-no-length", post(body=b"stray"))
    add("fr/cl-zero-then-request", post("Content-Length: 0") + req("GET /2 HTTP/1.1"))
    add("fr/drip-body", [post("Content-Length: 5")] + [x for ch in b"abcde" for x in (bytes([ch]), ("sleep", 0.2))])
    add("fr/chunked-split-everywhere", [bytes([b]) for b in post("Transfer-Encoding: chunked", body=b"3;e=1\r\nabc\r\n0\r\nX-T: t\r\n\r\n")])
    add("ex/100-continue-then-pipelined", [post("Expect: 100-continue", "Content-Length: 3"), ("sleep", 0.3), b"abc" + req("GET /2 HTTP/1.1")])
    add("up/ws-keepalive-upgrade", [req("GET /ws HTTP/1.1", "Connection: keep-alive, Upgrade", *ws), ("sleep", 0.3), b"hello"])
    add("up/ws-and-h2c", [req("GET /ws HTTP/1.1", "Connection: Upgrade", "Upgrade: websocket, h2c", *ws[1:]), ("sleep", 0.3), b"hello"])
    add("up/ws-tunnel-client-fin", [req("GET /ws HTTP/1.1", "Connection: Upgrade", *ws), ("sleep", 0.3), b"bye", ("shut",)])
    add("up/ws-cl0", [req("GET /ws HTTP/1.1", "Connection: Upgrade", "Content-Length: 0", *ws), ("sleep", 0.3), b"hello"])
    # Slow clients (the read window outlasts both proxies' head timeouts).
    add("slow/partial-head", [b"GET / HTTP/1.1\r\nHost: t"], window=12.5)
    add("slow/idle-after-request", [G], window=8.0)
    add("slow/nothing", [], window=12.5)

    # Responses (backend scripts).

    def resp(name, steps, client=None, window=1.0):
        add(name, client or [G], mode=steps, window=window)
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    resp("rs/basic", [ok])
    resp("rs/100-then-200", [b"HTTP/1.1 100 Continue\r\n\r\n", ok])
    resp("rs/103-then-200", [b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n", ok])
    resp("rs/102-x3-then-200", [b"HTTP/1.1 102 Processing\r\n\r\n" * 3, ok])
    resp("rs/1xx-with-cl", [b"HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\n", ok])
    resp("rs/101-unasked", [b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\ntunnel"])
    resp("rs/204-with-body", [b"HTTP/1.1 204 No Content\r\n\r\nBODY", ok], client=[G + req("GET /2 HTTP/1.1")])
    resp("rs/204-with-cl", [b"HTTP/1.1 204 No Content\r\nContent-Length: 4\r\n\r\nBODY"], client=[G + req("GET /2 HTTP/1.1")])
    resp("rs/304-with-cl", [b"HTTP/1.1 304 Not Modified\r\nContent-Length: 4\r\n\r\n", ok], client=[G + req("GET /2 HTTP/1.1")])
    resp("rs/304-with-body", [b"HTTP/1.1 304 Not Modified\r\nContent-Length: 4\r\n\r\nBODY"], client=[G + req("GET /2 HTTP/1.1")])
    resp("rs/head-with-body", [b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nBODY"], client=[req("HEAD / HTTP/1.1") + req("GET /2 HTTP/1.1")])
    resp("rs/head-chunked-with-body", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nBODY\r\n0\r\n\r\n"], client=[req("HEAD / HTTP/1.1") + req("GET /2 HTTP/1.1")])
    resp("rs/cl-and-te", [b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nBODY\r\n0\r\n\r\n"])
    resp("rs/te-and-cl", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 100\r\n\r\n4\r\nBODY\r\n0\r\n\r\n"])
    resp("rs/cl-two-diff", [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 4\r\n\r\nBODY"])
    resp("rs/cl-comma", [b"HTTP/1.1 200 OK\r\nContent-Length: 4, 4\r\n\r\nBODY"])
    resp("rs/cl-plus", [b"HTTP/1.1 200 OK\r\nContent-Length: +4\r\n\r\nBODY"])
    resp("rs/cl-neg", [b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nBODY"])
    resp("rs/cl-overflow", [b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nBODY"])
    resp("rs/close-delimited", [b"HTTP/1.1 200 OK\r\n\r\nclose-delimited body", ("close",)], client=[G + req("GET /2 HTTP/1.1")])
    resp("rs/close-delimited-1.0", [b"HTTP/1.0 200 OK\r\n\r\nbody10", ("close",)], client=[G + req("GET /2 HTTP/1.1")])
    resp("rs/close-delimited-to-1.0", [b"HTTP/1.1 200 OK\r\n\r\nbody", ("close",)], client=[b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"])
    resp("rs/chunked-trailers", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-D\r\n\r\n4\r\nBODY\r\n0\r\nX-D: d\r\nSet-Cookie: s=1\r\n\r\n"],
         client=[req("GET / HTTP/1.1", "TE: trailers", "Connection: TE")])
    resp("rs/chunked-to-1.0", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nBODY\r\n0\r\n\r\n"], client=[b"GET / HTTP/1.0\r\n\r\n"])
    resp("rs/chunk-overflow", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000004\r\nBODY\r\n0\r\n\r\n"])
    resp("rs/chunk-bad-size", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nBODY\r\n0\r\n\r\n"])
    resp("rs/te-gzip-no-chunked", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nBODY", ("close",)])
    resp("rs/te-gzip-chunked", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n4\r\nBODY\r\n0\r\n\r\n"])
    resp("rs/bare-lf-head", [b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok"])
    resp("rs/obs-fold", [b"HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok"])
    resp("rs/nul-in-value", [b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nok"])
    resp("rs/space-before-colon", [b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok"])
    resp("rs/status-no-reason", [b"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok"])
    resp("rs/status-2-digit", [b"HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok"])
    resp("rs/status-999", [b"HTTP/1.1 999 Odd\r\nContent-Length: 2\r\n\r\nok"])
    resp("rs/status-600", [b"HTTP/1.1 600 Odd\r\nContent-Length: 2\r\n\r\nok"])
    resp("rs/http09-response", [b"hello world", ("close",)])
    resp("rs/version-2.0", [b"HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok"])
    resp("rs/huge-head", [b"HTTP/1.1 200 OK\r\nX-Big: " + b"b" * 70000 + b"\r\nContent-Length: 2\r\n\r\nok"])
    resp("rs/many-fields", [b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(150)) + b"Content-Length: 2\r\n\r\nok"])
    resp("rs/before-body-read", [b"HTTP/1.1 413 Too Large\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno", ("close",)],
         client=[post("Content-Length: 100000"), ("sleep", 0.3), b"x" * 100000])
    resp("rs/before-body-read-keep", [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", ("sleep", 3)],
         client=[post("Content-Length: 10"), ("sleep", 0.3), b"0123456789" + req("GET /2 HTTP/1.1")], window=1.5)
    resp("rs/answers-twice", [ok + ok])
    resp("rs/answers-twice-late", [ok, ("sleep", 0.2), ok], client=[G, ("sleep", 0.5), req("GET /2 HTTP/1.1")])
    resp("rs/reset-mid-body", [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", ("sleep", 0.1), ("rst",)])
    resp("rs/reset-mid-chunked", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\npartial", ("sleep", 0.1), ("rst",)])
    resp("rs/close-mid-body", [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", ("close",)])
    resp("rs/reset-before-head", [("rst",)])
    resp("rs/close-before-head", [("close",)])
    resp("rs/close-before-head-post", [("close",)], client=[post("Content-Length: 3", body=b"abc")])
    resp("rs/close-before-head-fresh", [("close",)], client=[b"GET / HTTP/1.1\r\nHost: t.example\r\nConnection: close\r\n\r\n"])
    resp("rs/close-mid-head", [b"HTTP/1.1 200 OK\r\nContent-Le", ("close",)])
    resp("rs/silent", [("sleep", 8)], window=9.0)
    resp("rs/1xx-then-reset", [b"HTTP/1.1 100 Continue\r\n\r\n", ("sleep", 0.1), ("rst",)])
    resp("rs/slow-body-drip", [b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"] + [x for ch in b"abcde" for x in (bytes([ch]), ("sleep", 0.2))])
    resp("rs/conn-close-keep-client", [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", ("close",)], client=[G + req("GET /2 HTTP/1.1")])
    resp("rs/conn-names-cl", [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: Content-Length\r\n\r\nok"])
    resp("rs/set-cookie-x2", [b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 2\r\n\r\nok"])
    resp("rs/101-to-ws", [b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nfromserver"],
         client=[req("GET /ws HTTP/1.1", "Connection: Upgrade", *ws), ("sleep", 0.3), b"fromclient"])
    resp("rs/101-to-ws-no-upgrade-field", [b"HTTP/1.1 101 Switching Protocols\r\n\r\nfromserver"],
         client=[req("GET /ws HTTP/1.1", "Connection: Upgrade", *ws), ("sleep", 0.3), b"fromclient"])
    resp("rs/426-to-ws", [b"HTTP/1.1 426 Upgrade Required\r\nContent-Length: 2\r\n\r\nno"],
         client=[req("GET /ws HTTP/1.1", "Connection: Upgrade", *ws) + req("GET /2 HTTP/1.1")])
    resp("rs/101-h2c-unasked", [b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n" + bytes.fromhex("000000040000000000")],
         client=[req("GET / HTTP/1.1", "Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAAQAAP__")])
    resp("rs/expect-401-early", [b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n\r\nno"],
         client=[post("Expect: 100-continue", "Content-Length: 3"), ("sleep", 0.3), b"abc" + req("GET /2 HTTP/1.1")])
    resp("rs/expect-417", [b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n"],
         client=[post("Expect: 100-continue", "Content-Length: 3"), ("sleep", 0.3), b"abc"])
    resp("rs/100-to-1.0", [b"HTTP/1.1 100 Continue\r\n\r\n", ok], client=[b"GET / HTTP/1.0\r\n\r\n"])
    resp("rs/head-chunked-no-body", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"],
         client=[req("HEAD / HTTP/1.1") + req("GET /2 HTTP/1.1")])
    resp("rs/chunked-forbidden-trailers", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nBODY\r\n0\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\nX-Ok: 1\r\n\r\n"])
    resp("rs/chunk-ext-and-spaces", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4 ;x=\"y\"\r\nBODY\r\n0 \r\n\r\n"])
    resp("rs/trailers-to-1.0", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nBODY\r\n0\r\nX-D: d\r\n\r\n"], client=[b"GET / HTTP/1.0\r\n\r\n"])
    resp("rs/cl-too-short", [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"], client=[G, ("sleep", 0.3), req("GET /2 HTTP/1.1")])
    resp("rs/304-chunked", [b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"], client=[G + req("GET /2 HTTP/1.1")])
    resp("rs/big-chunked", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + (b"4000\r\n" + b"z" * 0x4000 + b"\r\n") * 20 + b"0\r\n\r\n"])
    resp("rs/big-close-delimited-1.0", [b"HTTP/1.0 200 OK\r\n\r\n" + b"w" * 300000, ("close",)])
    return c

# ---------------------------------------------------------------- run

def summary(rec):
    st = statuses(rec["got"])
    back = []
    for b in rec["backend"]:
        if b["requests"] or b["fate"] == "backend-could-not-frame":
            back.append([r[0] + " +%d" % r[1] for r in b["requests"]] + ([b["fate"]] if b["fate"] == "backend-could-not-frame" else []))
        else:
            back.append("%dB" % len(b["bytes"]))
    return {"status": st, "backend": back, "fate": rec["fate"], "bytes": len(rec["got"])}


def same(a, b):
    return a["status"] == b["status"] and a["backend"] == b["backend"] and a["fate"] == b["fate"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("proxies", nargs=2, help="NAME=HOST:PORT=BACKEND_PORT")
    ap.add_argument("--backend-host", default="127.0.0.1")
    ap.add_argument("--only", default="")
    ap.add_argument("--out", default="diffprobe.jsonl")
    ap.add_argument("--ctl", default="", help="command printing the relay's sessions, run at the end")
    ap.add_argument("--show", action="store_true", help="print what each client got, for every case")
    a = ap.parse_args()
    px = []
    for p in a.proxies:
        name, hp, bport = p.split("=")
        h, port = hp.rsplit(":", 1)
        px.append((name, (h, int(port)), int(bport)))
    backend = Backend(a.backend_host, [p[2] for p in px])
    cases = [c for c in corpus() if a.only in c[0]]
    ndiff = 0
    with open(a.out, "w") as out:
        for name, steps, mode, window in cases:
            backend.reset(mode)
            res = {}

            def one(p):
                try:
                    got, fate = client(p[1], steps, window)
                except OSError as e:
                    got, fate = b"", "connect:" + type(e).__name__
                res[p[0]] = {"got": got, "fate": fate}
            ts = [threading.Thread(target=one, args=(p,)) for p in px]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            time.sleep(0.15)
            with backend.lock:
                for p in px:
                    res[p[0]]["backend"] = [dict(b, bytes=bytes(b["bytes"])) for b in backend.log[p[2]].values()
                                            if b["bytes"]]
            sums = {p[0]: summary(res[p[0]]) for p in px}
            d = not same(*sums.values())
            ndiff += d
            row = {"case": name, "differs": d}
            for p in px:
                r = res[p[0]]
                row[p[0]] = dict(sums[p[0]], got=r["got"].decode("latin-1"),
                                 backend_bytes=[b["bytes"].decode("latin-1") for b in r["backend"]])
            out.write(json.dumps(row) + "\n")
            out.flush()
            if d or a.show:
                print("%s %s" % ("DIFF" if d else "same", name))
                for p in px:
                    s = sums[p[0]]
                    print("   %-10s status=%s fate=%s bytes=%d backend=%s" % (p[0], ",".join(s["status"]) or "-", s["fate"], s["bytes"], s["backend"]))
            sys.stdout.flush()
    print("%d cases, %d differ (details in %s)" % (len(cases), ndiff, a.out))
    if a.ctl:
        time.sleep(2)
        print(subprocess.run(a.ctl, shell=True, capture_output=True, text=True).stdout)


if __name__ == "__main__":
    main()
