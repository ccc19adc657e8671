"""The dechunk family: HTTP/1.0 clients whose responses come chunked from an HTTP/1.1 server.

An HTTP/1.0 client cannot read chunked (RFC 9112 6.1 forbids sending it one, 7.1: a server
must not send chunked to 1.0), so the relay must hand it the chunks' data and end the body with
the close of the connection; a body that then ends early must end with a reset (or, over TLS,
without close_notify), never a clean close that makes a cut body look whole.
"""
import gen
import strict

# Grammar operations that touch chunked framing (see gen.grammar_mutation).
CHUNK_OPS = (3, 4, 9, 10, 11, 12, 20, 8, 0, 15)


def make(r, case):
    """(client request bytes, backend segments, family)."""
    keep = r.random() < 0.4
    reqs = [b"GET /c%d/r0 HTTP/1.0\r\nHost: fuzz.example\r\n%s\r\n" % (case, b"Connection: keep-alive\r\n" if keep else b"")]
    if keep:
        reqs.append(b"GET /c%d/r1 HTTP/1.0\r\nHost: fuzz.example\r\n\r\n" % case)
    segs = []
    for i in range(len(reqs)):
        m = gen.Message(b"HTTP/1.1 %d %s" % ((200, b"OK") if r.random() < 0.8 else (404, b"X")), [gen.Field(b"Server", b"ff")])
        body = gen.rand_body(r)
        if r.random() < 0.3:
            body += bytes(r.choice(b"abcdef") for _ in range(r.choice([1000, 20000, 70000])))
        if r.random() < 0.85:
            gen.framed(r, m, body, "chunked")
        else:
            gen.framed(r, m, body, "cl")
        if m.chunks and r.random() < 0.3:
            r.choice(m.chunks)[1] = r.choice([b";a=b", b";name=\"v;x\"", b" ;a", b";" + b"e" * 300])
        if m.chunks is not None and r.random() < 0.3:
            m.trailers.append(gen.Field(r.choice([b"X-Trailer", b"Content-Length", b"Server-Timing"]), b"5"))
        segs.append(m)
    family = r.choice(["clean", "grammar", "grammar", "byte"])
    if family == "grammar":
        for _ in range(r.choice([1, 1, 2])):
            op = r.choice(CHUNK_OPS)
            gen_op(r, segs, op)
        raws = [m.raw() for m in segs]
    else:
        raws = [m.raw() for m in segs]
        if family == "byte":
            raws[0] = gen.byte_mutation(r, raws[0])
    return b"".join(reqs), raws, family


def gen_op(r, msgs, op):
    """gen.grammar_mutation with its operation chosen."""
    class Fixed:
        def __init__(self, real, op):
            self.real, self.op = real, op

        def __getattr__(self, name):
            return getattr(self.real, name)

        def randrange(self, *a):
            if a == (22,):
                return self.op
            return self.real.randrange(*a)
    gen.grammar_mutation(Fixed(r, op), msgs, True)


def check(got, end, want, werr, tls):
    """Verdict for what the client got. want: the strict parser's responses on the backend
    connection from the one answering request 0 on, werr why it stopped there."""
    from run import relay_error
    resps, rerr = strict.parse_responses(got, True)
    clean = end == "close"
    viol, doubt = [], []
    for x in resps:
        if any(n == b"transfer-encoding" for n, v in x.fields):
            viol.append("an HTTP/1.0 client got a Transfer-Encoding field")
        if x.framing == "chunked":
            viol.append("an HTTP/1.0 client got a chunked body")
    if rerr and rerr.startswith("bad"):
        viol.append("the client got a malformed stream: %s" % rerr)
    if not resps or relay_error(resps[0]):
        verdict = "agree-refuse" if not want else "relay-stricter"
        if want:
            doubt.append("refused (%s) what the strict parser framed: %r" % (end, want[0]))
    else:
        x = resps[0]
        if want:
            w = want[0]
            if (w.status, w.body) != (x.status, x.body):
                if clean:
                    viol.append("body differs and ends cleanly: backend %r, client %r" % (w, x))
                else:
                    doubt.append("cut (%s) though the strict parser framed it whole" % end)
        elif clean and x.framing == "close":
            # No whole first response by the strict parser, yet the client holds one that
            # ends with a clean close, which it must take for whole.
            doubt.append("strict parser: %s; the client got %r ending with a clean close" % (werr, x))
        verdict = "relay-lenient" if doubt and not want else "relay-stricter" if doubt else "agree-pass"
    if viol:
        verdict = "VIOLATION"
    return verdict, viol + doubt
