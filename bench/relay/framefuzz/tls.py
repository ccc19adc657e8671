"""The client side of a case over TLS, for relays that listen with ssl (the tls-* modes).

TLS runs over memory BIOs on a plain socket, so that the fuzzer decides both where the records
end (one per piece of plaintext) and where the TCP segments carrying them are cut: inside a
record header, inside a record, several records in one segment. The relay's TLS layer must
hand its HTTP scanners the same bytes whatever the cuts.
"""
import socket
import ssl
import time

CTX = None


def use_version(version):
    """Pins the client to TLS "1.2" or "1.3". TLS 1.3 lets a client send close_notify and still
    read the answer (RFC 8446 6.1); in TLS 1.2 close_notify ends both directions (RFC 5246 7.2.1)."""
    global CTX
    CTX = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    CTX.check_hostname = False
    CTX.verify_mode = ssl.CERT_NONE
    v = ssl.TLSVersion.TLSv1_3 if version == "1.3" else ssl.TLSVersion.TLSv1_2
    CTX.minimum_version = v
    CTX.maximum_version = v


use_version("1.3")
# Whether the last exchange ended its side with close_notify (else a bare FIN).
LAST_NOTIFY = False


def _pieces(data, r):
    """Plaintext cut where send_split cuts it: after some CRs and anywhere."""
    if r is None or len(data) < 2:
        return [data]
    cuts = set(r.randrange(1, len(data)) for _ in range(r.randint(1, 6)))
    cuts.update(i + 1 for i in range(len(data) - 1) if data[i] == 0x0D and r.random() < 0.2)
    out, prev = [], 0
    for c in sorted(cuts) + [len(data)]:
        if c > prev:
            out.append(data[prev:c])
            prev = c
    return out


def _segments(records, r):
    """The records' bytes as TCP segments: cut inside headers, inside records, or several joined."""
    wire = b"".join(records)
    if r is None:
        return [wire]
    cuts = set()
    at = 0
    for rec in records:
        k = r.random()
        if k < 0.25:
            cuts.add(at + r.randint(1, 4))             # inside the 5-byte record header
        elif k < 0.5:
            cuts.add(at + r.randrange(1, max(2, len(rec))))   # inside the record
        elif k < 0.75:
            cuts.add(at)                               # at the record boundary
        at += len(rec)
    cuts = sorted(c for c in cuts if 0 < c < len(wire))
    out, prev = [], 0
    for c in cuts + [len(wire)]:
        out.append(wire[prev:c])
        prev = c
    return out


def _pump(raw, obj, inc, out):
    if out.pending:
        raw.sendall(out.read())


def exchange(addr, data, r, split, timeout=2.0):
    """Like run.exchange over TLS (1.3, or what use_version chose): sends data (records cut as r says when split), then
    close_notify or a bare FIN (r chooses), reads until the relay closes. The end is "close"
    (close_notify, or a FIN after it), "close-no-notify" (a FIN alone: a cut the client
    cannot tell from a whole close-delimited body), "reset" or "timeout"."""
    raw = socket.create_connection(addr, timeout=timeout)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    raw.settimeout(timeout)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = CTX.wrap_bio(inc, out)
    try:
        while True:
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                _pump(raw, obj, inc, out)
                d = raw.recv(65536)
                if not d:
                    raw.close()
                    return b"", "handshake-closed"
                inc.write(d)
        _pump(raw, obj, inc, out)
    except (OSError, ssl.SSLError) as e:
        raw.close()
        return b"", "handshake-failed: %s" % e
    got = b""
    end = "close"
    try:
        records = []
        for p in _pieces(data, split):
            obj.write(p)
            records.append(out.read())
        for seg in _segments(records, r if split is not None else None):
            raw.sendall(seg)
            if split is not None:
                time.sleep(0.002)
        global LAST_NOTIFY
        LAST_NOTIFY = r.random() < 0.15
        if LAST_NOTIFY:
            try:
                obj.unwrap()
            except ssl.SSLWantReadError:
                pass
            _pump(raw, obj, inc, out)
        else:
            raw.shutdown(socket.SHUT_WR)
    except OSError:
        end = "reset-on-send"
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            d = raw.recv(65536)
            if not d:
                end = "close-no-notify"
                break
            inc.write(d)
            try:
                while True:
                    p = obj.read(65536)
                    if not p:
                        # close_notify (read as b"" while ours is not sent, else raised)
                        raise ssl.SSLZeroReturnError()
                    got += p
            except ssl.SSLWantReadError:
                continue
            except ssl.SSLZeroReturnError:
                end = "close"
                break
        else:
            end = "timeout"
    except socket.timeout:
        end = "timeout"
    except ssl.SSLError as e:
        end = "tls-error: %s" % e.reason
    except OSError:
        end = "reset"
    raw.close()
    return got, end
