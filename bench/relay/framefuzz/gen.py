"""Generates pipelined request and response streams and mutates them at the grammar and byte level."""
import random

CL_VARIANTS = [b"{n}", b"0{n}", b" {n} ", b"\t{n}", b"+{n}", b"-{n}", b"{n}, {n}", b"{n},{m}", b"{n} {n}",
               b"0x{h}", b"{n}.0", b"{m}", b"", b"99999999999999999999", b"{n}\x00", b"{n}\x0b", b"1e1",
               b"\"{n}\"", b"{n};", b"00000000000000000{n}"]
TE_VARIANTS = [b"chunked", b"Chunked", b"CHUNKED", b"chunked, identity", b"identity, chunked", b"gzip, chunked",
               b" chunked", b"chunked ", b"\tchunked", b"chunked\t", b"chunked,", b",chunked", b"chunked, chunked",
               b"chunk", b"chunked;q=1", b"x-chunked", b"chunked\x00", b"chunked\x0b", b"\"chunked\"", b"identity",
               b"gzip", b"chunked , gzip", b"chunked\r\n chunked", b"ch\tunked", b"cHuNkEd", b"chunked\xff"]
TE_NAMES = [b"Transfer-Encoding", b"transfer-encoding", b"TRANSFER-ENCODING", b"Transfer-Encoding ",
            b" Transfer-Encoding", b"Transfer_Encoding", b"Transfer-Encoding\t", b"\tTransfer-Encoding",
            b"Transfer-Encodin", b"X-Transfer-Encoding", b"Transfer-Encoding\x00", b"\x0bTransfer-Encoding",
            b"Content-Encoding"]
CL_NAMES = [b"Content-Length", b"content-length", b"Content-Length ", b"Content_Length", b" Content-Length",
            b"Content-Length\t", b"Content-Lenght", b"\x00Content-Length", b"Content-Length\x0c"]
SIZE_VARIANTS = [b"{h}", b"0{h}", b"{H}", b"{h} ", b" {h}", b"{h}\t", b"{h};a=b", b"{h} ;a=b", b"{h}\t;a",
                 b"{h};a=\"b c\"", b"{h};", b"+{h}", b"-{h}", b"0x{h}", b"{h}\x00", b"{h};\x00",
                 b"ffffffffffffffff{h}", b"10000000000000000", b"000000000000000000000000{h}", b"{h}g",
                 b"{h}\r", b"{h} \r\n", b"{x}", b"{h};a\rb"]
SEPS = [b"\r\n", b"\n", b"\r", b"\r\r\n", b"\r\n\r\n", b" \r\n", b"\x00\r\n"]
INTERESTING = b"\r\n\x00 \t,;:0afAF-+\x0b\x0c\x7f\xff\"=x"


class Field:
    def __init__(self, name, value, sep=b": ", eol=b"\r\n"):
        self.name, self.value, self.sep, self.eol = name, value, sep, eol

    def raw(self):
        return self.name + self.sep + self.value + self.eol


class Message:
    """A request or response as parts, so grammar mutations can act on each part."""

    def __init__(self, start, fields, chunks=None, body=b"", trailers=(), last=b"0"):
        self.start = start
        self.start_eol = b"\r\n"
        self.fields = fields
        self.head_end = b"\r\n"
        self.chunks = chunks          # list of [size_text, ext, data, eol_after_size, eol_after_data], or None
        self.body = body
        self.trailers = list(trailers)
        self.last = last
        self.last_eol = b"\r\n"
        self.final_eol = b"\r\n"

    def raw(self):
        out = [self.start, self.start_eol]
        out += [f.raw() for f in self.fields]
        out.append(self.head_end)
        if self.chunks is None:
            out.append(self.body)
        else:
            for size, ext, data, e1, e2 in self.chunks:
                out += [size, ext, e1, data, e2]
            out += [self.last, self.last_eol]
            out += [f.raw() for f in self.trailers]
            out.append(self.final_eol)
        return b"".join(out)


def rand_body(r, n=None):
    if n is None:
        n = r.choice([0, 1, 3, 5, 10, 17, 40, 100])
    alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789"
    if r.random() < 0.15:
        # Bodies that look like requests: what a smuggler puts there.
        return r.choice([b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", b"0\r\n\r\nGET /sm HTTP/1.1\r\nHost: x\r\n\r\n",
                         b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbad", b"5\r\nhello\r\n0\r\n\r\n"])
    return bytes(r.choice(alphabet) for _ in range(n))


def chunk_list(r, body):
    chunks = []
    i = 0
    while i < len(body):
        n = r.randint(1, max(1, len(body) - i))
        part = body[i:i + n]
        chunks.append([b"%x" % len(part), b"", part, b"\r\n", b"\r\n"])
        i += n
    return chunks


def framed(r, m, body, kind):
    if kind == "cl":
        m.fields.append(Field(b"Content-Length", b"%d" % len(body)))
        m.body = body
    elif kind == "chunked":
        m.fields.append(Field(b"Transfer-Encoding", b"chunked"))
        m.chunks = chunk_list(r, body)
        if r.random() < 0.2:
            m.trailers.append(Field(b"X-Trailer", b"t"))
    return m


def request(r, case, i):
    method = r.choice([b"GET", b"POST", b"PUT", b"POST", b"DELETE", b"PATCH"])
    target = b"/c%d/r%d" % (case, i) + r.choice([b"", b"?q=1", b"/x.html"])
    m = Message(method + b" " + target + b" HTTP/1.1", [Field(b"Host", b"fuzz.example")])
    if r.random() < 0.3:
        m.fields.append(Field(b"User-Agent", b"framefuzz"))
    kind = r.choice(["none", "cl", "chunked", "cl", "chunked"]) if method != b"GET" else r.choice(["none", "none", "cl"])
    if kind != "none":
        framed(r, m, rand_body(r), kind)
    if r.random() < 0.2:
        m.fields.append(Field(b"Accept", b"*/*"))
    return m


def response(r, i, last):
    status = r.choice([200, 200, 200, 201, 404, 500, 204, 304, 206])
    m = Message(b"HTTP/1.1 %d %s" % (status, b"OK" if status == 200 else b"X"), [Field(b"Server", b"ff")])
    body = rand_body(r) if status not in (204, 304) else b""
    kinds = ["cl", "chunked"] + (["close"] if last else [])
    kind = r.choice(kinds)
    if status in (204, 304):
        kind = r.choice(["none", "none", "cl"])
    if kind == "close":
        m.body = body
    elif kind != "none":
        framed(r, m, body, kind)
    if r.random() < 0.1:
        m.start = b"HTTP/1.1 100 Continue\r\n\r\n" + m.start
    if r.random() < 0.1:
        m.start = m.start.replace(b"HTTP/1.1", b"HTTP/1.0", 1) if not m.start.startswith(b"HTTP/1.1 100") else m.start
        m.fields.append(Field(b"Connection", b"keep-alive"))
    return m


def fmt(t, n, r):
    h = b"%x" % n
    return t.replace(b"{n}", b"%d" % n).replace(b"{m}", b"%d" % (n + r.choice([1, -1, 10]))) \
        .replace(b"{h}", h).replace(b"{H}", h.upper()).replace(b"{x}", b"%x" % (n + r.choice([1, -1, 16])))


def body_len(m):
    if m.chunks is None:
        return len(m.body)
    return sum(len(c[2]) for c in m.chunks)


def grammar_mutation(r, msgs, response_side=False):
    """One structural change to one message: the smuggling catalogue."""
    m = r.choice(msgs)
    n = body_len(m)
    op = r.randrange(22)
    if op == 0:       # both framings
        if m.chunks is not None:
            m.fields.insert(r.randrange(len(m.fields) + 1), Field(r.choice(CL_NAMES[:3]), fmt(r.choice(CL_VARIANTS[:3]), n, r)))
        else:
            m.fields.insert(r.randrange(len(m.fields) + 1), Field(r.choice(TE_NAMES[:3]), r.choice(TE_VARIANTS)))
    elif op == 1:     # Content-Length value variant
        cl = [f for f in m.fields if f.name.lower().startswith(b"content-length")]
        if cl:
            r.choice(cl).value = fmt(r.choice(CL_VARIANTS), n, r)
        else:
            m.fields.append(Field(b"Content-Length", fmt(r.choice(CL_VARIANTS), n, r)))
    elif op == 2:     # a second Content-Length
        m.fields.insert(r.randrange(len(m.fields) + 1), Field(b"Content-Length", fmt(r.choice([b"{n}", b"{m}", b"0"]), n, r)))
    elif op == 3:     # Transfer-Encoding value variant
        te = [f for f in m.fields if f.name.lower() == b"transfer-encoding"]
        if te:
            r.choice(te).value = r.choice(TE_VARIANTS)
        else:
            m.fields.append(Field(b"Transfer-Encoding", r.choice(TE_VARIANTS)))
    elif op == 4:     # a second Transfer-Encoding
        m.fields.insert(r.randrange(len(m.fields) + 1), Field(b"Transfer-Encoding", r.choice(TE_VARIANTS)))
    elif op == 5:     # framing field name variants
        f = [f for f in m.fields if f.name.lower() in (b"content-length", b"transfer-encoding")]
        if f:
            x = r.choice(f)
            x.name = r.choice(TE_NAMES if x.name.lower() == b"transfer-encoding" else CL_NAMES)
    elif op == 6:     # separator variants
        f = r.choice(m.fields)
        f.sep = r.choice([b":", b" : ", b"\t:", b":\t", b": \t", b"::", b": \x00", b":\r\n ", b"\r\n :"])
    elif op == 7:     # obs-fold
        f = r.choice(m.fields)
        f.value = f.value + r.choice([b"\r\n ", b"\r\n\t", b"\n "]) + r.choice([b"x", b"chunked", b"5"])
    elif op == 8:     # line ending variants
        if r.random() < 0.5:
            r.choice(m.fields).eol = r.choice(SEPS)
        elif r.random() < 0.5:
            m.start_eol = r.choice(SEPS)
        else:
            m.head_end = r.choice(SEPS)
    elif op == 9 and m.chunks:   # chunk size variants
        c = r.choice(m.chunks)
        c[0] = fmt(r.choice(SIZE_VARIANTS), len(c[2]), r)
    elif op == 10 and m.chunks:  # chunk extension
        r.choice(m.chunks)[1] = r.choice([b";a=b", b";a", b" ;a", b";a=\"x\"", b";a\x00", b";" + b"x" * 5000,
                                          b";a=b\r\n", b";\t", b"\t;a"])
    elif op == 11 and m.chunks:  # chunk data length off
        c = r.choice(m.chunks)
        c[2] = c[2] + r.choice([b"x", b"\r\n", b"0\r\n\r\n"]) if r.random() < 0.5 else c[2][:-1]
    elif op == 12 and m.chunks is not None:  # last chunk / trailer variants
        v = r.randrange(6)
        if v == 0:
            m.last = r.choice([b"00", b"0;x", b"0 ", b"000000000000000000", b"0x0", b"", b" 0"])
        elif v == 1:
            m.trailers.append(Field(r.choice([b"Content-Length", b"Transfer-Encoding", b"Host", b"X-T"]),
                                    r.choice([b"5", b"chunked", b"x"])))
        elif v == 2:
            m.trailers.append(Field(b"X-T", b"a", eol=r.choice(SEPS)))
        elif v == 3:
            m.final_eol = r.choice([b"", b"\n", b"\r", b"\r\n\r\n"])
        elif v == 4:
            m.last_eol = r.choice(SEPS)
        else:
            m.trailers.append(Field(b" X-T", b"a"))
    elif op == 13:    # version variants
        for a, b in ((b"HTTP/1.1", r.choice([b"HTTP/1.0", b"HTTP/1.2", b"HTTP/2.0", b"HTTP/1.10", b"http/1.1",
                                              b"HTTP/1.1 ", b"HTTP/01.1", b"HTTP/1"])),):
            m.start = m.start.replace(a, b, 1)
    elif op == 14:    # NUL / control bytes in a value
        f = r.choice(m.fields)
        k = r.randrange(len(f.value) + 1)
        f.value = f.value[:k] + r.choice([b"\x00", b"\r", b"\n", b"\x0b", b"\x7f", b"\x1b"]) + f.value[k:]
    elif op == 15:    # HTTP/1.0 with chunked
        m.start = m.start.replace(b"HTTP/1.1", b"HTTP/1.0", 1)
        if m.chunks is None:
            m.fields.append(Field(b"Transfer-Encoding", b"chunked"))
        if r.random() < 0.5:
            m.fields.append(Field(b"Connection", b"keep-alive"))
    elif op == 16:    # Connection tricks
        m.fields.append(Field(b"Connection", r.choice([b"close", b"keep-alive", b"Content-Length", b"Transfer-Encoding",
                                                       b"close, Transfer-Encoding", b"upgrade", b"Host"])))
    elif op == 17:    # request line tricks
        m.start = r.choice([m.start.replace(b" ", b"  ", 1), m.start.replace(b" ", b"\t", 1), b" " + m.start,
                            m.start.replace(b" /", b" http://fuzz.example/", 1), m.start + b"\x00",
                            m.start.replace(b"/", b"/\r\n", 1), m.start.lower()])
    elif op == 18:    # Host tricks
        m.fields.append(Field(b"Host", r.choice([b"other", b"fuzz.example", b"", b"a b"])))
    elif op == 19:    # Expect / Upgrade
        m.fields.append(r.choice([Field(b"Expect", b"100-continue"), Field(b"Upgrade", b"websocket"),
                                  Field(b"TE", b"trailers")]))
    elif op == 20:    # chunked with a body that is itself a chunked stream
        if m.chunks is not None:
            m.chunks.append([b"%x" % 5, b"", b"0\r\n\r\n", b"\r\n", b"\r\n"])
    else:             # remove a framing field
        f = [f for f in m.fields if f.name.lower() in (b"content-length", b"transfer-encoding")]
        if f:
            m.fields.remove(r.choice(f))


def byte_mutation(r, data):
    data = bytearray(data)
    for _ in range(r.choice([1, 1, 1, 2, 3])):
        if not data:
            break
        op = r.randrange(8)
        k = r.randrange(len(data))
        if op == 0:
            data[k] = r.choice(INTERESTING)
        elif op == 1:
            data.insert(k, r.choice(INTERESTING))
        elif op == 2:
            del data[k]
        elif op == 3:
            data[k] ^= 1 << r.randrange(8)
        elif op == 4:
            j = min(len(data), k + r.randint(1, 30))
            data[k:k] = data[k:j]
        elif op == 5:
            # Near a CRLF: the boundaries are what framing is made of.
            c = data.find(b"\r\n", k)
            if c >= 0:
                data[c:c + 2] = r.choice([b"\n", b"\r", b"\r\r\n", b"\r\n\r\n", b"", b"\r\n ", b" \r\n"])
        elif op == 6:
            c = data.find(b":", k)
            if c >= 0:
                data[c:c] = r.choice([b" ", b"\t", b"\x00", b"\r\n"])
        else:
            # Digits: sizes and lengths.
            for j in range(k, len(data)):
                if data[j] in b"0123456789abcdef":
                    data[j] = r.choice(b"0123456789abcdefx")
                    break
    return bytes(data)
