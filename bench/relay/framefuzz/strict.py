"""A strict RFC 9112 message parser: the reference the relay's framing is checked against.

It reads a whole byte stream (what one side sent on one connection) and returns the messages
it frames, then stops at the first byte it cannot frame without guessing. Where RFC 9112 lets
a recipient choose (several equal Content-Lengths, a Transfer-Encoding on HTTP/1.0), it takes
the choice that frames nothing twice: it refuses.
"""
import re

TCHAR = set(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
HEX = set(b"0123456789abcdefABCDEF")
# The target takes non-ASCII bytes: the relay passes UTF-8 in a query on purpose (DESIGN.md),
# and it does not frame anything.
REQ_LINE = re.compile(rb"^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e\x80-\xff]+) HTTP/1\.([0-9])$")
STATUS_LINE = re.compile(rb"^HTTP/1\.([0-9]) ([0-9]{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$")


class Bad(Exception):
    """The stream breaks the grammar or frames ambiguously."""


class Incomplete(Exception):
    """The stream ends inside a message."""


class Msg:
    def __init__(self):
        self.method = None
        self.target = None
        self.status = None
        self.version = 11
        self.fields = []
        self.body = b""
        self.framing = "none"
        self.interim = []
        self.start = 0  # where a parsed request began in the bytes given

    def key(self):
        if self.status is not None:
            return (self.status, self.body)
        return (self.method, norm_target(self.target), self.body)

    def __repr__(self):
        if self.status is not None:
            return "<resp %d %s body=%r>" % (self.status, self.framing, self.body[:40])
        return "<req %r %r %s body=%r>" % (self.method, self.target, self.framing, self.body[:40])


def norm_target(t):
    m = re.match(rb"^[hH][tT][tT][pP][sS]?://[^/?]*", t or b"")
    if m:
        rest = t[m.end():]
        return rest if rest.startswith(b"/") else b"/" + rest
    return t


def _line(data, pos, lf_ok=False):
    """One CRLF-ended line from pos: (line, next). A bare CR is Bad; so is a bare LF unless
    lf_ok (a server's response head, whose bare LF lines the relay takes and rewrites)."""
    lf = data.find(b"\n", pos)
    if lf < 0:
        if b"\r" in data[pos:len(data) - 1]:
            raise Bad("bare CR")
        raise Incomplete()
    crlf = lf > pos and data[lf - 1] == 0x0D
    if not crlf and not lf_ok:
        raise Bad("bare LF")
    line = data[pos:lf - 1 if crlf else lf]
    if b"\r" in line:
        raise Bad("bare CR")
    return line, lf + 1


def _fields(data, pos, m, lf_ok=False):
    while True:
        line, pos = _line(data, pos, lf_ok)
        if line == b"":
            return pos
        colon = line.find(b":")
        if colon <= 0 or any(c not in TCHAR for c in line[:colon]):
            raise Bad("malformed field line %r" % line[:40])
        value = line[colon + 1:].strip(b" \t")
        if any((c < 0x20 and c != 9) or c == 0x7F for c in value):
            raise Bad("control byte in field value")
        m.fields.append((line[:colon].lower(), value))


def _framing(m, is_request):
    cls = [v for n, v in m.fields if n == b"content-length"]
    tes = [v for n, v in m.fields if n == b"transfer-encoding"]
    if cls and tes:
        raise Bad("both Content-Length and Transfer-Encoding")
    if tes:
        codings = [c.strip(b" \t").lower() for c in b",".join(tes).split(b",")]
        if m.version == 10 and (is_request or codings[-1] == b"chunked"):
            raise Bad("Transfer-Encoding on HTTP/1.0")
        if m.version == 10:
            # RFC 9112 6.1: faulty framing, read until the close either way.
            return "close"
        if any(c == b"" for c in codings):
            raise Bad("empty transfer coding")
        if codings[-1] != b"chunked" or codings.count(b"chunked") != 1:
            if is_request:
                raise Bad("request not chunked last")
            return "close"
        return "chunked"
    if cls:
        if any(not v or not v.isdigit() for v in cls):
            raise Bad("Content-Length not digits")
        if len(set(int(v) for v in cls)) != 1:
            raise Bad("differing Content-Lengths")
        return int(cls[0])
    return 0 if is_request else "close"


def _chunked(data, pos, responses, lf_ok=False):
    """lf_ok: a server's chunked response, whose lines may end in a bare LF (the relay takes
    them and passes them on with CRLF)."""
    body = b""
    while True:
        line, pos = _line(data, pos, lf_ok)
        m = re.match(rb"^([0-9A-Fa-f]+)", line)
        if not m:
            raise Bad("chunk size not hex")
        rest = line[m.end():]
        if rest:
            # BWS then ;ext (RFC 9112 7.1.1); a response's padding before CRLF is read too.
            stripped = rest.lstrip(b" \t")
            if stripped == b"" and responses:
                pass
            elif not stripped.startswith(b";"):
                raise Bad("junk after chunk size")
            elif any((c < 0x20 and c != 9) or c == 0x7F for c in stripped):
                raise Bad("control byte in chunk extension")
        size = int(m.group(1), 16)
        if size == 0:
            break
        if lf_ok and data[pos + size:pos + size + 1] == b"\n":
            body += data[pos:pos + size]
            pos += size + 1
            continue
        if len(data) < pos + size + 2:
            if len(data) >= pos + size and data[pos + size:pos + size + 1] not in (b"", b"\r"):
                raise Bad("chunk data not followed by CRLF")
            raise Incomplete()
        body += data[pos:pos + size]
        pos += size
        if data[pos:pos + 2] != b"\r\n":
            raise Bad("chunk data not followed by CRLF")
        pos += 2
    trailer = Msg()
    pos = _fields(data, pos, trailer, lf_ok)
    return body, pos


def _body(data, pos, m, framing, eof, responses, lf_ok=False):
    if framing == "chunked":
        m.framing = "chunked"
        m.body, pos = _chunked(data, pos, responses, lf_ok)
        return pos
    if framing == "close":
        m.framing = "close"
        if not eof:
            raise Incomplete()
        m.body = data[pos:]
        return len(data)
    m.framing = "length" if framing else "none"
    if len(data) < pos + framing:
        raise Incomplete()
    m.body = data[pos:pos + framing]
    return pos + framing


def parse_requests(data, with_pos=False):
    """(messages, error): the requests framed, and why framing stopped (None at a clean end).
    With with_pos, also where the last whole request ended."""
    out = []
    pos = 0
    done = [0]
    r = _requests(data, out, done)
    return (out, r, done[0]) if with_pos else (out, r)


def _requests(data, out, done):
    pos = 0
    try:
        while True:
            while data.startswith(b"\r\n", pos):
                pos += 2
            if pos >= len(data):
                done[0] = pos
                return None
            m = Msg()
            m.start = pos
            line, p = _line(data, pos)
            rl = REQ_LINE.match(line)
            if not rl:
                raise Bad("malformed request line %r" % line[:60])
            m.method, m.target = rl.group(1), rl.group(2)
            m.version = 10 if rl.group(3) == b"0" else 11
            p = _fields(data, p, m)
            hosts = [v for n, v in m.fields if n == b"host"]
            if len(hosts) > 1 or (m.version == 11 and not hosts):
                raise Bad("Host count")
            framing = _framing(m, True)
            pos = _body(data, p, m, framing, False, False)
            out.append(m)
            done[0] = pos
            conn = b",".join(v for n, v in m.fields if n == b"connection").lower()
            if b"close" in conn or (m.version == 10 and b"keep-alive" not in conn):
                # Nothing after a last request is a request (the relay does not forward it).
                return None if pos == len(data) else "after close"
    except Bad as e:
        return "bad: %s" % e
    except Incomplete:
        return "incomplete"


def parse_responses(data, eof, head_only=(), server=False):
    """Responses to GETs, interim ones folded into the final one that follows them. server:
    the bytes a server sent, whose heads may end lines in a bare LF (the relay takes them and
    passes them on with CRLF); what a client got must use CRLF throughout."""
    out = []
    pos = 0
    interim = []
    try:
        while pos < len(data):
            m = Msg()
            line, p = _line(data, pos, server)
            sl = STATUS_LINE.match(line)
            if not sl:
                raise Bad("malformed status line %r" % line[:60])
            m.version = 10 if sl.group(1) == b"0" else 11
            m.status = int(sl.group(2))
            if m.status < 100:
                raise Bad("status under 100")
            p = _fields(data, p, m, server)
            if m.status < 200:
                if m.status == 101:
                    raise Bad("101 without upgrade")
                interim.append(m)
                pos = p
                continue
            if m.status in (204, 304) or len(out) in head_only:
                m.framing = "none"
                _framing(m, False)
                pos = p
            else:
                framing = _framing(m, False)
                if framing == "chunked" and m.version == 10:
                    raise Bad("chunked HTTP/1.0 response")
                pos = _body(data, p, m, framing, eof, True, server)
            m.interim = interim
            interim = []
            out.append(m)
        return out, None
    except Bad as e:
        return out, "bad: %s" % e
    except Incomplete:
        return out, "incomplete"
