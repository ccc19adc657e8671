"""The pool family: stale bytes on backend connections the relay keeps across client sessions.

The relay parks an idle persistent backend connection for the next session (BackendPool). A
server that sends bytes no request asked for (after a response, early, late, while the
connection is parked, just as the next request goes out; bodies to HEAD, 204 and 304; longer
or shorter bodies than the Content-Length) must never make a client get another exchange's
bytes. Every answer names its request's target in its body; stale bytes say STALE and a
serial number the backend logs with the time and connection it sent them on.

Invariants: each response a client gets is the one its backend connection sent for that
request, or the relay's error; a response holding stale bytes is a VIOLATION unless those
bytes were sent less than RACE_S before the request they were taken for reached the
backend, or after it (then the relay cannot have seen them first: a race any connection reuse
has, listed as doubtful).

What "sent" means is what went on the wire. Captures of runs on a loaded machine showed
every "stale bytes sent 20-45 ms before the request" violation to be stale bytes that left
after the request had arrived: Nagle's algorithm held the small stale write until the relay
acknowledged the response before it, which its delayed ACK did only with the next request;
and a Python thread can stall tens of milliseconds between reading the clock and sending, or
between a request's arrival and its recv. So the backend's sockets send at once (TCP_NODELAY),
a stale send is stamped after it returns, with the count of bytes the socket had received from
the relay by then (TCP_INFO: a request that starts below that count had arrived first), and
until then it counts as racing everything; a request is stamped with the kernel's receive
time of its bytes (SO_TIMESTAMPNS).
"""
import random
import re
import socket
import struct
import threading
import time

import strict

RACE_S = 0.02
SO_TIMESTAMPNS = 35         # Linux; Python's socket module lacks the name
SCM_TIMESTAMPNS = SO_TIMESTAMPNS
TCP_INFO = 11
TCPI_BYTES_RECEIVED = 128   # offset of the u64 tcpi_bytes_received in struct tcp_info (Linux 4.1)


def bytes_received(c):
    """The bytes the peer has sent on socket {c} that its kernel has received, ever."""
    try:
        info = c.getsockopt(socket.IPPROTO_TCP, TCP_INFO, TCPI_BYTES_RECEIVED + 8)
    except OSError:
        return 0
    return struct.unpack_from("=Q", info, TCPI_BYTES_RECEIVED)[0] if len(info) >= TCPI_BYTES_RECEIVED + 8 else 0


def arrival(anc):
    """The kernel's receive time in the ancillary data of a recvmsg (SO_TIMESTAMPNS), or now."""
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS and len(data) >= 16:
            sec, nsec = struct.unpack_from("=qq", data)
            return sec + nsec / 1e9
    return time.time()


def raced(stale, req):
    """Whether stale bytes {stale} (conn, time sent, plan, bytes received by then) may have
    reached the relay too late for it to see them before it sent request {req} (conn, kernel
    arrival time, target, method, offset in the stream): sent after the request arrived, or
    less than RACE_S before."""
    scid, t_stale, _, rx = stale
    cid, t_req, _, _, start = req
    return scid == cid and (start < rx or t_req - t_stale < RACE_S)


PLANS = ["plain"] * 6 + ["early", "late", "idle", "next-race", "long", "short", "head-body", "204-body", "304-body",
                         "stale-response", "split-head"]


class Backend:
    def __init__(self, host, port, seed):
        self.r = random.Random(seed)
        self.lock = threading.Lock()
        self.serial = 0
        self.stale = {}          # serial -> (conn, time sent, plan, bytes received from the relay by then)
        self.reqs = []           # (conn, kernel time received, target, method, offset in the stream)
        self.answer_of = {}      # target -> (status, body, plan, conn)
        self.malformed = []
        self.desynced = set()    # targets answered with bytes not theirs in a race: theirs came later
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind((host, port))
        self.srv.listen(128)
        self.conn_ids = 0
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            c, _ = self.srv.accept()
            with self.lock:
                self.conn_ids += 1
                cid = self.conn_ids
            threading.Thread(target=self.serve, args=(c, cid), daemon=True).start()

    def stale_bytes(self, cid, plan):
        with self.lock:
            self.serial += 1
            n = self.serial
        body = b"STALE#%d#" % n
        if plan == "stale-response" or self.r.random() < 0.5:
            data = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        else:
            data = body
        return n, data

    def send_stale(self, c, cid, plan, delay=0.0):
        if delay:
            time.sleep(delay)
        n, data = self.stale_bytes(cid, plan)
        self.sending_stale(cid, n, plan)
        try:
            c.sendall(data)
        except OSError:
            pass
        self.sent_stale(c, cid, n, plan)

    def sending_stale(self, cid, n, plan):
        """Stale bytes #{n} are about to go out: until stamped, they may have raced anything."""
        with self.lock:
            self.stale[n] = (cid, float("inf"), plan, float("inf"))

    def sent_stale(self, c, cid, n, plan):
        """Stale bytes #{n} have gone out on {c}: stamps them (see the module's text)."""
        rx = bytes_received(c)
        with self.lock:
            self.stale[n] = (cid, time.time(), plan, rx)

    def serve(self, c, cid):
        buf = b""
        base = 0        # the stream offset of buf[0]
        chunks = []     # (stream offset where a read's bytes end, kernel time of their arrival)
        try:
            c.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while True:
                d, anc, _, _ = c.recvmsg(65536, socket.CMSG_SPACE(16))
                if not d:
                    break
                chunks.append((base + len(buf) + len(d), arrival(anc)))
                buf += d
                msgs, err, pos = strict.parse_requests(buf, True)
                for m in msgs:
                    start = base + m.start
                    t = next(ts for end, ts in chunks if end > start)
                    with self.lock:
                        self.reqs.append((cid, t, m.target, m.method, start))
                buf = buf[pos:]
                base += pos
                chunks = [(end, ts) for end, ts in chunks if end > base]
                for m in msgs:
                    if not self.answer(c, cid, m):
                        return
                if err and err.startswith("bad"):
                    with self.lock:
                        self.malformed.append((cid, err, buf[:200]))
                    break
        except OSError:
            pass
        finally:
            c.close()

    def answer(self, c, cid, m):
        plan = self.r.choice(PLANS)
        head_req = m.method == b"HEAD"
        body = b"for " + m.target
        status = 200
        extra = b""
        if plan == "204-body":
            status, resp = 204, b"HTTP/1.1 204 No Content\r\nContent-Length: %d\r\n\r\n" % len(body)
            extra = body
            body = b""
        elif plan == "304-body":
            status, resp = 304, b"HTTP/1.1 304 Not Modified\r\nContent-Length: %d\r\n\r\n" % len(body)
            extra = body
            body = b""
        else:
            resp = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body)
            if head_req:
                extra = body if plan == "head-body" else b""
                body = b""
        with self.lock:
            # A request the relay resent (its reused connection closed first) is answered twice.
            self.answer_of.setdefault(m.target, []).append((status, body, plan, cid))
        if plan == "long":
            c.sendall(resp + body + b"STALE-long")
            return True
        if plan == "short":
            c.sendall(resp + body[:-3])
            time.sleep(0.3)
            return False
        if plan == "split-head":
            c.sendall(resp[:-1])
            time.sleep(0.002)
            c.sendall(resp[-1:] + body)
            return True
        if extra:
            c.sendall(resp + body)
            if self.r.random() < 0.5:
                c.sendall(extra)
            else:
                time.sleep(0.003)
                c.sendall(extra)
            return True
        if plan == "early":
            n, data = self.stale_bytes(cid, plan)
            self.sending_stale(cid, n, plan)
            c.sendall(resp + body + data)
            self.sent_stale(c, cid, n, plan)
        elif plan == "late":
            c.sendall(resp + body)
            self.send_stale(c, cid, plan, 0.002)
        elif plan == "idle":
            c.sendall(resp + body)
            threading.Thread(target=self.send_stale, args=(c, cid, plan, self.r.choice([0.03, 0.1, 0.3])),
                             daemon=True).start()
        elif plan == "next-race":
            c.sendall(resp + body)
            threading.Thread(target=self.send_stale, args=(c, cid, plan, self.r.random() * 0.01), daemon=True).start()
        else:
            c.sendall(resp + body)
        return True


STALE = re.compile(rb"STALE#(\d+)#")


def session(r, case, i):
    """One client session's requests: (bytes, [(target, is_head)])."""
    n = 1 if r.random() < 0.7 else 2
    out, meta = b"", []
    for j in range(n):
        method = b"HEAD" if r.random() < 0.2 else b"GET"
        target = b"/c%d/s%d/r%d" % (case, i, j)
        close = b"Connection: close\r\n" if j == n - 1 and r.random() < 0.5 else b""
        out += b"%s %s HTTP/1.1\r\nHost: fuzz.example\r\n%s\r\n" % (method, target, close)
        meta.append((target, method == b"HEAD"))
    return out, meta


OWNER = re.compile(rb"for (/c\d+/s\d+)")


def answer_after_race(backend, target, x):
    """Another request whose answer {x} is (same status and body, or a body that begins as
    its), sent on a connection a race desynchronised: stale bytes went out on it less than
    RACE_S before that request reached the backend, or that request itself got another's
    answer (its own then came after). None when there is none."""
    owner = OWNER.match(x.body)
    with backend.lock:
        answers = [(t, a) for t, al in backend.answer_of.items() if t != target for a in al]
        reqs = list(backend.reqs)
        stale = list(backend.stale.values())
        desynced = set(backend.desynced)
    for other, (status, body, _, cid) in answers:
        if (status, body) != (x.status, x.body) and not (owner and other.startswith(owner.group(1))):
            continue
        if other in desynced or any(q[2] == other and q[0] == cid and answered_by(s, q, reqs)
                                    for q in reqs for s in stale):
            return other
    return None


def answered_by(stale, req, reqs):
    """Whether stale bytes {stale} may have been taken as the answer of {req}: they raced it,
    and no later request on that connection had arrived when they went out."""
    if not raced(stale, req):
        return False
    cid, _, _, _, start = req
    return not any(q[0] == cid and start < q[4] < stale[3] for q in reqs)


def relay_page(x, is_head):
    from run import relay_error
    # The page of a HEAD has no body: its Server field tells it.
    return relay_error(x) or (is_head and x.status >= 500 and (b"server", b"hoststated") in x.fields)


def check(backend, meta, got, end, t0, t1):
    heads = tuple(i for i, (t, h) in enumerate(meta) if h)
    resps, rerr = strict.parse_responses(got, True, heads)
    viol, doubt = [], []
    if rerr and rerr.startswith("bad"):
        viol.append("the client got a malformed stream: %s (%r)" % (rerr, got[:200]))
    if len(resps) > len(meta):
        viol.append("more responses than requests")
    with backend.lock:
        stale_near = [n for n, (c, t, p, rx) in backend.stale.items() if t0 - RACE_S <= t and (t <= t1 or rx == float("inf"))]
    for i, x in enumerate(resps[:len(meta)]):
        target, is_head = meta[i]
        if relay_page(x, is_head):
            continue
        with backend.lock:
            answers = list(backend.answer_of.get(target, []))
            reqs = [q for q in backend.reqs if q[2] == target]
        if any((x.status, x.body) == (a[0], a[1]) for a in answers) and \
                (not is_head or x.status != 200 or (b"content-length", b"%d" % len(b"for " + target)) in x.fields):
            continue
        if (other := answer_after_race(backend, target, x)) is not None:
            # That other request was answered by stale bytes in a race (doubtful there), so its
            # own answer was still to come on the connection, parked or handed on meanwhile:
            # the same race, seen by the next request the connection carried.
            with backend.lock:
                backend.desynced.add(target)
            doubt.append("race: response %d for %r is the answer of %r, whose connection stale bytes "
                         "desynchronised" % (i, target, other))
            continue
        s = STALE.search(x.body) or STALE.search(got)
        if s:
            n = int(s.group(1))
            with backend.lock:
                st = backend.stale.get(n, (None, 0, "?", 0))
            scid, t_stale, splan, _ = st
            on_conn = [q for q in reqs if q[0] == scid]
            req = on_conn[-1] if on_conn else reqs[-1] if reqs else (scid, t1, target, None, 0)
            t_req = req[1]
            if raced(st, req):
                with backend.lock:
                    backend.desynced.add(target)
                doubt.append("race: stale bytes #%d (%s) sent %.1f ms before the request %r reached the "
                             "backend were taken as its response" % (n, splan, (t_req - t_stale) * 1000, target))
                continue
            viol.append("response %d for %r holds stale bytes #%d (%s, conn %s, sent %.1f ms before the request; "
                        "they went out with %d bytes received, the request began at byte %d of conn %s)" %
                        (i, target, n, splan, scid, (t_req - t_stale) * 1000, st[3], req[4], req[0]))
        elif answers and answers[-1][2] == "short" and x.body.startswith(b"for ") and \
                answers[-1][1][:-3] == x.body[:len(answers[-1][1]) - 3]:
            # The backend's own later bytes on that connection (a stale send of an earlier
            # answer) completed the short body.
            doubt.append("short body completed by the backend's own later bytes: %r" % x.body)
        elif is_head and stale_near:
            with backend.lock:
                backend.desynced.add(target)
            doubt.append("race: a HEAD answered by a head that is not its own (%r), stale bytes %s sent meanwhile" %
                         (x, stale_near))
        elif b"for /" in x.body:
            viol.append("response %d for %r has another request's body %r" % (i, target, x.body[:60]))
        else:
            viol.append("response %d for %r: backend sent %r, client got %r" % (i, target, answers, x))
    verdict = "VIOLATION" if viol else "relay-doubtful" if doubt else "agree"
    return verdict, viol + doubt
