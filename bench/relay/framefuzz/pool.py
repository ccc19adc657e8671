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
backend (then the relay cannot have seen them first: a race any connection reuse has, listed
as doubtful).
"""
import random
import re
import socket
import threading
import time

import strict

RACE_S = 0.02
PLANS = ["plain"] * 6 + ["early", "late", "idle", "next-race", "long", "short", "head-body", "204-body", "304-body",
                         "stale-response", "split-head"]


class Backend:
    def __init__(self, host, port, seed):
        self.r = random.Random(seed)
        self.lock = threading.Lock()
        self.serial = 0
        self.stale = {}          # serial -> (conn, time sent, plan)
        self.reqs = []           # (conn, time received, target, method)
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
        with self.lock:
            self.stale[n] = (cid, time.time(), plan)
        try:
            c.sendall(data)
        except OSError:
            pass

    def serve(self, c, cid):
        buf = b""
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                buf += d
                msgs, err, pos = strict.parse_requests(buf, True)
                buf = buf[pos:]
                for m in msgs:
                    with self.lock:
                        self.reqs.append((cid, time.time(), m.target, m.method))
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
            with self.lock:
                self.stale[n] = (cid, time.time(), plan)
            c.sendall(resp + body + data)
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
        if other in desynced or any(q[2] == other and q[0] == cid and scid == cid and 0 <= q[1] - t_stale < RACE_S
                                    for q in reqs for scid, t_stale, _ in stale):
            return other
    return None


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
        stale_near = [n for n, (c, t, p) in backend.stale.items() if t0 - RACE_S <= t <= t1]
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
                scid, t_stale, splan = backend.stale.get(n, (None, 0, "?"))
            t_req = reqs[-1][1] if reqs else t1
            if t_req - t_stale < RACE_S:
                with backend.lock:
                    backend.desynced.add(target)
                doubt.append("race: stale bytes #%d (%s) sent %.1f ms before the request %r reached the "
                             "backend were taken as its response" % (n, splan, (t_req - t_stale) * 1000, target))
                continue
            viol.append("response %d for %r holds stale bytes #%d (%s, conn %s, sent %.1f ms before the request)" %
                        (i, target, n, splan, scid, (t_req - t_stale) * 1000))
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
