#!/usr/bin/env python3
"""Differential framing fuzzer for the HTTP relay (see README.md next to this file).

Each worker owns one relay (listen address) and the raw-socket backend it forwards to; it runs
its cases one at a time, so every byte the backend receives during a case belongs to it.

  run.py MODE RELAY_ADDR BACKEND_ADDR --cases N --seed S --out FILE [--budget SECONDS]

MODE: req (mutated request streams), resp (mutated response streams), rnd-req / rnd-resp
(random bytes), dechunk, upgrade, pool; any of them prefixed tls- for a relay listening with
ssl. Writes one JSON line per case that is not a plain agreement.
"""
import argparse
import faulthandler
import json
import random
import re
import signal
import socket
import ssl
import threading
import time

import dechunk
import gen
import pool
import strict
import tls
import upgrade


class Backend:
    """Records what arrives on each connection and parses it strictly; answers as the mode says."""

    def __init__(self, host, port, mode):
        self.mode = mode
        self.case = None
        self.segments = []
        self.split = None
        self.lock = threading.Lock()
        self.records = []       # (case, kind, detail)
        self.conns = []
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind((host, port))
        self.srv.listen(64)
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            c, _ = self.srv.accept()
            state = {"buf": b"", "sent": b"", "m": 0, "open": True, "case": None, "closed_by_us": False,
                     "log": []}
            with self.lock:
                self.conns.append(state)
            threading.Thread(target=self.serve, args=(c, state), daemon=True).start()

    def note(self, kind, detail):
        with self.lock:
            self.records.append((self.case, kind, detail))

    def serve(self, c, st):
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    break
                st["case"] = self.case
                st["buf"] += data
                msgs, err, pos = strict.parse_requests(st["buf"], True)
                st["buf"] = st["buf"][pos:]
                for m in msgs:
                    self.note("req", m)
                    if self.mode == "req":
                        body = b"ok " + (m.target or b"")[:60]
                        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                    else:
                        self.answer(c, st, m)
                        if not st["open"]:
                            return
                if err and err.startswith("bad"):
                    self.note("malformed", {"err": err, "bytes": st["buf"][:300].decode("latin-1")})
                    break
                if err == "after close":
                    break
        except OSError:
            pass
        finally:
            st["open"] = False
            c.close()

    def answer(self, c, st, m):
        segs = self.segments
        k = st["m"]
        st["m"] += 1
        self.note("sent", {"conn": id(st), "target": m.target, "m": k})
        if k < len(segs):
            st["sent"] += segs[k]
            send_split(c, segs[k], self.split)
        if k >= len(segs) - 1:
            st["closed_by_us"] = True
            st["open"] = False
            try:
                c.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def take(self, case):
        with self.lock:
            mine = [r for r in self.records if r[0] == case]
            self.records = [r for r in self.records if r[0] != case]
            return mine

    def leftovers(self, case):
        """Open connections holding a part of a request: the next session's request would join it."""
        with self.lock:
            return [st["buf"][:200].decode("latin-1") for st in self.conns
                    if st["open"] and st["case"] == case and st["buf"]]

    def conn_sent(self):
        with self.lock:
            return {id(st): st for st in self.conns}


SPLIT = None   # a random.Random when --split: bytes go in pieces, 2 ms apart


def send_split(s, data, r):
    """Sends data whole, or with r in pieces: cut after some CRs (where the relay's scanners keep
    state across reads) and anywhere."""
    if r is None:
        s.sendall(data)
        return
    cuts = set(r.randrange(1, max(2, len(data))) for _ in range(r.randint(1, 6)))
    cuts.update(i + 1 for i in range(len(data)) if data[i] == 0x0D and r.random() < 0.2)
    prev = 0
    for c in sorted(cuts) + [len(data)]:
        if c > prev:
            s.sendall(data[prev:c])
            time.sleep(0.002)
            prev = c


TLS = None    # a random.Random when the relay listens with ssl: exchange() speaks TLS (see tls.py)


def exchange(addr, data, timeout=2.0):
    """Sends data, half-closes, reads until the relay closes; returns (bytes, how it ended)."""
    if TLS is not None:
        return tls.exchange(addr, data, TLS, SPLIT, timeout)
    s = socket.create_connection(addr, timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(timeout)
    got = b""
    end = "close"
    try:
        send_split(s, data, SPLIT)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        end = "reset-on-send"
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            d = s.recv(65536)
            if not d:
                break
            got += d
        else:
            end = "timeout"
    except socket.timeout:
        end = "timeout"
    except OSError:
        end = "reset"
    s.close()
    return got, end


ERROR_PAGE = re.compile(rb"^[45][0-9][0-9] [A-Za-z -]+\n$")


def relay_error(resp):
    """One of the relay's own error pages ("502 Bad Gateway\n"): no generated body looks so."""
    if resp.status < 400:
        return False
    # The plain text page, or the HTML one of a protocol with "return error".
    return ERROR_PAGE.match(resp.body) is not None or \
        (resp.body.startswith(b"<!DOCTYPE html>") and b"<title>%d" % resp.status in resp.body)


def make_requests(r, case, rnd):
    if rnd:
        if r.random() < 0.5:
            return bytes(r.randrange(256) for _ in range(r.randint(1, 300)))
        base = b"".join(gen.request(r, case, i).raw() for i in range(2))
        return base[:r.randrange(len(base))] + bytes(r.choice(gen.INTERESTING + b"GETPOST /HTP1.") for _ in range(r.randint(1, 60)))
    msgs = [gen.request(r, case, i) for i in range(r.choice([2, 3]))]
    family = "grammar" if r.random() < 0.6 else "byte"
    if family == "grammar":
        for _ in range(r.choice([1, 1, 2, 3])):
            gen.grammar_mutation(r, msgs)
        data = b"".join(m.raw() for m in msgs)
    else:
        data = gen.byte_mutation(r, b"".join(m.raw() for m in msgs))
    return data, family


def late(target, data):
    """Whether a request target names a case (/c<N>/...) and is nowhere in this case's bytes:
    a request of an earlier case (byte mutations change the digits of this case's own)."""
    return target is not None and re.match(rb"/c[0-9]+/", target) is not None and target not in data


def run_req(backend, addr, case, r, rnd):
    made = make_requests(r, case, rnd)
    data, family = (made, "random") if rnd else made
    backend.case = case
    got, end = exchange(addr, data)
    time.sleep(0.02)
    recs = backend.take(case)
    left = backend.leftovers(case)
    want, err = strict.parse_requests(data)
    # A request of an earlier case that reached the backend only now (the relay forwarded it
    # just before that client's close, and the backend read it late) is not this case's.
    fwd = [d for c, k, d in recs if k == "req" and not late(d.target, data)]
    bad = [d for c, k, d in recs if k == "malformed"]
    resps, rerr = strict.parse_responses(got, True)
    answered_ok = sum(1 for x in resps if x.status == 200)
    refused = any(x.status >= 400 for x in resps) or end != "timeout"
    out = {"case": case, "family": family, "data": data.decode("latin-1"), "strict": err,
           "want": len(want), "fwd": len(fwd), "end": end, "status": [x.status for x in resps]}
    viol = []
    if bad:
        viol.append("relay forwarded bytes a strict parser refuses: %s" % bad)
    if left:
        viol.append("part of a request left on an open backend connection: %r" % left)
    if len(fwd) > len(want):
        viol.append("backend saw more requests than the client sent")
    for i, (f, w) in enumerate(zip(fwd, want)):
        if f.key() != w.key():
            viol.append("request %d differs: sent %r, backend saw %r" % (i, w, f))
    if answered_ok > len(fwd):
        viol.append("client got more 200s than the backend answered")
    if rerr and rerr.startswith("bad"):
        viol.append("client got a malformed answer: %s" % rerr)
    if end == "timeout":
        viol.append("relay neither answered nor closed within 2 s")
    if viol:
        out["verdict"] = "VIOLATION"
        out["why"] = viol
    elif err is None and len(fwd) == len(want):
        out["verdict"] = "agree-pass"
    elif err is not None and len(fwd) <= len(want) and refused:
        out["verdict"] = "agree-refuse"
    elif err is None and len(fwd) < len(want):
        out["verdict"] = "relay-stricter"
        out["answer"] = got[:400].decode("latin-1")
    else:
        out["verdict"] = "other"
        out["answer"] = got[:400].decode("latin-1")
    return out


def make_responses(r, rnd):
    n = r.choice([2, 3])
    if rnd:
        segs = [bytes(r.randrange(256) for _ in range(r.randint(1, 200))) if r.random() < 0.5 else
                gen.response(r, i, i == n - 1).raw()[:r.randint(0, 80)] + bytes(r.choice(gen.INTERESTING) for _ in range(20))
                for i in range(n)]
        return segs, "random"
    msgs = [gen.response(r, i, i == n - 1) for i in range(n)]
    family = "grammar" if r.random() < 0.6 else "byte"
    if family == "grammar":
        for _ in range(r.choice([1, 1, 2])):
            gen.grammar_mutation(r, msgs, True)
        segs = [m.raw() for m in msgs]
    else:
        segs = [m.raw() for m in msgs]
        k = r.randrange(n)
        segs[k] = gen.byte_mutation(r, segs[k])
    return segs, family


def run_resp(backend, addr, case, r, rnd):
    segs, family = make_responses(r, rnd)
    n = 3
    reqs = b"".join(b"GET /c%d/r%d HTTP/1.1\r\nHost: fuzz.example\r\n\r\n" % (case, i) for i in range(n))
    backend.segments = segs
    backend.case = case
    got, end = exchange(addr, reqs)
    time.sleep(0.02)
    recs = backend.take(case)
    conns = backend.conn_sent()
    sent = [d for c, k, d in recs if k == "sent"]
    resps, rerr = strict.parse_responses(got, True)
    out = {"case": case, "family": family, "segs": [s.decode("latin-1") for s in segs], "end": end,
           "status": [x.status for x in resps], "client_err": rerr}
    viol = []
    doubt = []
    strict_by_conn = {}
    for cid, st in conns.items():
        strict_by_conn[cid] = strict.parse_responses(st["sent"], st["closed_by_us"], server=True)
    if len(resps) > n:
        viol.append("client got more responses than it asked")
    if rerr and rerr.startswith("bad"):
        viol.append("client got a malformed stream: %s" % rerr)
    for i, x in enumerate(resps):
        if relay_error(x):
            continue
        target = b"/c%d/r%d" % (case, i)
        src = [s for s in sent if s["target"] == target]
        if not src:
            viol.append("response %d without its request reaching the backend" % i)
            continue
        s = src[-1]
        want, werr = strict_by_conn.get(s["conn"], ([], "gone"))
        if werr == "incomplete" and s["conn"] in conns:
            # Cut by the client's timeout: a body until close ends where the bytes did.
            want, werr = strict.parse_responses(conns[s["conn"]]["sent"], True, server=True)
        if s["m"] < len(want):
            if want[s["m"]].key() != x.key():
                viol.append("response %d: backend sent %r, client got %r" % (i, want[s["m"]], x))
        else:
            doubt.append("response %d passed (%r) where the strict parser stopped: %s" % (i, x, werr))
    if viol:
        out["verdict"] = "VIOLATION"
        out["why"] = viol
    elif doubt:
        out["verdict"] = "relay-lenient"
        out["why"] = doubt
    else:
        whole, werr = strict.parse_responses(b"".join(segs), True, server=True)
        out["verdict"] = "agree-pass" if werr is None and len(resps) == n and \
            all(not relay_error(x) for x in resps) else "agree-refuse-or-cut"
        out["strict"] = werr
    return out


def run_dechunk(backend, addr, case, r):
    reqs, segs, family = dechunk.make(r, case)
    backend.segments = segs
    backend.case = case
    got, end = exchange(addr, reqs)
    time.sleep(0.02)
    recs = backend.take(case)
    conns = backend.conn_sent()
    sent = [d for c, k, d in recs if k == "sent" and d["target"] == b"/c%d/r0" % case]
    want, werr = [], "request 0 did not reach the backend"
    if sent:
        st = conns.get(sent[-1]["conn"])
        all_want, werr = strict.parse_responses(st["sent"], st["closed_by_us"] or not st["open"], server=True)
        want = all_want[sent[-1]["m"]:]
    verdict, why = dechunk.check(got, end, want, werr, TLS is not None)
    out = {"case": case, "family": family, "segs": [x.decode("latin-1") for x in segs], "end": end,
           "strict": werr, "verdict": verdict, "answer": got[:600].decode("latin-1")}
    if why:
        out["why"] = why
    return out


def run_upgrade(backend, addr, case, r):
    req, tail, asks, answers, s2c = upgrade.make(r, case)
    backend.answers = answers
    backend.s2c = s2c
    backend.case = case
    got, end = exchange(addr, req + tail)
    time.sleep(0.02)
    recs = backend.take(case)
    verdict, why = upgrade.check(case, req, tail, asks, answers, s2c, got, end, recs)
    out = {"case": case, "family": answers[0], "req": req.decode("latin-1"), "tail": tail.decode("latin-1"),
           "asks": asks, "end": end, "verdict": verdict, "answer": got[:400].decode("latin-1")}
    if why:
        out["why"] = why
    return out


def run_pool(backend, addr, case, r):
    time.sleep(r.choice([0, 0, 0, 0.001, 0.003, 0.01, 0.05]))
    data, meta = pool.session(r, case, 0)
    t0 = time.time()
    got, end = exchange(addr, data)
    verdict, why = pool.check(backend, meta, got, end, t0, time.time())
    with backend.lock:
        plans = [backend.answer_of.get(t, [(0, 0, "-")])[-1][2] for t, h in meta]
    out = {"case": case, "family": plans[0], "plans": plans, "req": data.decode("latin-1"), "end": end, "verdict": verdict,
           "answer": got[:400].decode("latin-1")}
    if why:
        out["why"] = why
    return out


def client_closed(res):
    """The verdict of a case whose TLS client ended with close_notify, after which the relay can
    send nothing (BoringSSL answers it at once, TLS 1.3 as 1.2). The relay may leave the
    client's exchange unanswered, closing with close_notify when nothing of an answer went out
    and resetting when one was cut; a close_notify after part of an answer is still a
    VIOLATION (it vouches for a cut stream)."""
    v = res["verdict"]
    if v in ("VIOLATION", "relay-stricter") and res["end"].startswith("reset"):
        return "agree-client-closed"
    if v == "relay-stricter" and res["end"] == "close" and (
            not res.get("answer") or res.get("status") and all(x < 300 for x in res["status"])):
        # Nothing, or only whole answers to the requests before the close_notify; a refusal
        # (the relay's own 4xx/5xx) is the relay's strictness whatever the client did next.
        return "agree-client-closed"
    return v


MODES = ["req", "resp", "rnd-req", "rnd-resp", "dechunk", "upgrade", "pool"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=MODES + ["tls-" + m for m in MODES])
    ap.add_argument("relay")
    ap.add_argument("backend")
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--budget", type=float, default=600, help="stop after this many seconds")
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", type=int, help="run just this case number (replays a finding)")
    ap.add_argument("--split", action="store_true", help="send each client stream in pieces")
    ap.add_argument("--tls", choices=["1.2", "1.3"], default="1.3", help="the TLS version of the tls- modes")
    a = ap.parse_args()
    # kill -USR1 shows where a stuck worker is.
    faulthandler.register(signal.SIGUSR1)
    global SPLIT, TLS
    mode = a.mode
    tls_mode = mode.startswith("tls-")
    if tls_mode:
        mode = mode[4:]
        tls.use_version(a.tls)
    rh, rp = a.relay.rsplit(":", 1)
    bh, bp = a.backend.rsplit(":", 1)
    if mode == "upgrade":
        backend = upgrade.Backend(bh, int(bp))
    elif mode == "pool":
        backend = pool.Backend(bh, int(bp), a.seed)
    else:
        backend = Backend(bh, int(bp), "req" if mode.endswith("req") else "resp")
    counts = {}
    t0 = time.time()
    with open(a.out, "a") as f:
        cases = [a.only] if a.only is not None else range(a.cases)
        for case in cases:
            if time.time() - t0 > a.budget:
                break
            r = random.Random(a.seed * 1000003 + case)
            # The cuts and the TLS client's choices have their own per-case streams, so that
            # --only replays a case exactly as the run that found it.
            if tls_mode:
                # Chooses the TCP cuts of the records and how the client ends its side.
                TLS = random.Random((a.seed + 2) * 1000003 + case)
            if a.split:
                SPLIT = random.Random(a.seed * 1000003 + case + 500001)
                if mode != "pool" and mode != "upgrade":
                    backend.split = random.Random((a.seed + 1) * 1000003 + case + 500001)
            rnd = mode.startswith("rnd")
            if mode == "dechunk":
                res = run_dechunk(backend, (rh, int(rp)), case, r)
            elif mode == "upgrade":
                res = run_upgrade(backend, (rh, int(rp)), case, r)
            elif mode == "pool":
                res = run_pool(backend, (rh, int(rp)), case, r)
            elif mode.endswith("req"):
                res = run_req(backend, (rh, int(rp)), case, r, rnd)
            else:
                res = run_resp(backend, (rh, int(rp)), case, r, rnd)
            if TLS is not None and tls.LAST_NOTIFY:
                res["verdict"] = client_closed(res)
            key = (res["family"], res["verdict"])
            counts[key] = counts.get(key, 0) + 1
            if not res["verdict"].startswith("agree") or a.only is not None:
                res["seed"] = a.seed
                res["mode"] = a.mode
                if tls_mode:
                    res["tls"] = a.tls
                    res["notify"] = tls.LAST_NOTIFY
                f.write(json.dumps(res) + "\n")
                f.flush()
    print(json.dumps({"mode": a.mode, "relay": a.relay, "seed": a.seed, "seconds": round(time.time() - t0, 1),
                      "counts": {"%s/%s" % k: v for k, v in sorted(counts.items())}}))


if __name__ == "__main__":
    main()
