#!/usr/bin/env python3
"""Soak: the real daemon under mixed load for a long time, to see whether its memory, descriptors
and threads level off. Driven by bench/soak/run.sh (which installs the tools and builds first).

One nginx (two backends on 127.26.0.11 and .12), one daemon (prefork 1) with four relays on
127.26.0.1: HTTP kept alive with X-Forwarded-For appended and a header logged, HTTP with
`Connection: close`, TCP mode, HTTP over TLS, all to a table checked by tcp; a fifth relay to a
table whose http check asks for a page the soak creates and removes (the host flaps, and the
relay answers 503 while it is down). Meanwhile: a reload every --reload-every seconds between two
configurations (a sixth relay added, then removed), `hoststatectl show sessions` every 10 s.
Every --sample-every seconds it records each process's RSS, descriptors and threads, and at the
end prints them with, per process, the growth over the second half as MiB per hour (a least-
squares slope), wrk's totals and the engines the parent restarted. Every process it starts is
stopped by pid on exit."""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "relay"))
import relaybench as rb  # noqa: E402  (process helpers: start, stop_all, children, cmdline, rss_mib)

TOP = rb.TOP
ADDR = "127.26.0.1"
BACKENDS = ("127.26.0.11", "127.26.0.12")
NGINX_PORT = 26080
PORTS = {"keep-alive": 26101, "close": 26102, "tcp": 26103, "tls": 26104, "flap": 26105, "extra": 26106}
ENGINES = ("parent", "pf engine", "health check engine", "relay engine")


def nginx(work):
    root = os.path.join(work, "www")
    os.makedirs(root)
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write("x" * 600 + "\n")
    conf = os.path.join(work, "nginx.conf")
    listens = " ".join(f"listen {b}:{NGINX_PORT} backlog=4096;" for b in BACKENDS)
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 100000;
  server {{ {listens} root {root}; }}
}}
""")
    p = rb.start(["nginx", "-c", conf], os.path.join(work, "nginx.out"))
    time.sleep(1)
    if p.poll() is not None:
        sys.exit("soak: nginx exited at start:\n" + open(p.output).read()[-2000:])
    return root


def config(work, extra):
    hosts = "\n".join(f"  host {b}" for b in BACKENDS)
    # (load, relay name, protocol, table): `tcp` is a keyword, not a name
    relays = [("keep-alive", "kept", "web", "web"), ("close", "closing", "web", "web"),
              ("tcp", "plain", None, "web"), ("tls", "secure", "web", "web"), ("flap", "flapping", "web", "flappy")]
    if extra:
        relays.append(("extra", "extra", "web", "web"))
    text = f"""user "nobody"
chroot "{work}/empty"
socket "{work}/hs.sock"
l3 backend none
prefork 1
interval 2
timeout 500
table web {{
  real port {NGINX_PORT}
  check tcp
{hosts}
}}
table flappy {{
  real port {NGINX_PORT}
  check http "/flap" code 200
  host {BACKENDS[0]}
}}
protocol web {{
  protocol http
  request header append "$REMOTE_ADDR" to "X-Forwarded-For"
  request header log "User-Agent"
}}
"""
    for load, name, proto, table in relays:
        ssl = " ssl" if load == "tls" else ""
        text += f"relay {name} {{\n  listen on {ADDR} port {PORTS[load]}{ssl}\n"
        if proto:
            text += f"  protocol {proto}\n"
        text += f"  table {table} roundrobin\n}}\n"
    path = os.path.join(work, "hs.conf")
    with open(path, "w") as f:
        f.write(text)
    return path


def tls_files():
    """The certificate the tls relay reads (/etc/ssl/<address>.crt): made when missing, and then
    removed at the end. Returns the files this run created."""
    crt, key = f"/etc/ssl/{ADDR}.crt", f"/etc/ssl/private/{ADDR}.key"
    if os.path.exists(crt) and os.path.exists(key):
        return []
    os.makedirs("/etc/ssl/private", exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-days", "2", "-subj", "/CN=" + ADDR, "-keyout", key, "-out", crt],
                   check=True, capture_output=True)
    return [crt, key]


def ctl(work, *args):
    """hoststatectl's result; one that takes over a minute counts as failed (returncode None)."""
    try:
        return subprocess.run([os.path.join(TOP, "bin", "hoststatectl"), "-s", f"{work}/hs.sock", *args],
                              capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, None, "", "timed out")


def answers(load):
    """Whether the relay of load answers a request (any status: the flapping host may be down)."""
    import http.client
    import ssl
    try:
        if load == "tls":
            c = http.client.HTTPSConnection(ADDR, PORTS[load], timeout=2, context=ssl._create_unverified_context())
        else:
            c = http.client.HTTPConnection(ADDR, PORTS[load], timeout=2)
        c.request("GET", "/")
        c.getresponse().read()
        c.close()
        return True
    except (OSError, http.client.HTTPException):
        return False


def wait_ready(work, daemon):
    """Until the backends are up and every relay answers: the parent binds the listeners before
    the relay engine serves them, and load sent before would time its start, not the soak."""
    deadline = time.time() + 180
    while time.time() < deadline:
        if daemon.poll() is not None:
            sys.exit("soak: the daemon exited at start:\n" + open(daemon.output).read()[-3000:])
        r = ctl(work, "show", "summary")
        if (r.returncode == 0 and len(re.findall(r"^host.*\tup$", r.stdout, re.M)) >= 3
                and all(answers(load) for load in ("keep-alive", "close", "tcp", "tls", "flap"))):
            return
        time.sleep(0.5)
    sys.exit("soak: the backends never came up or a relay never answered:\n" + open(daemon.output).read()[-3000:])


def processes(daemon):
    """name -> pid of the parent and each engine (engines restarted since have new pids)."""
    found = {"parent": daemon.pid}
    for c in rb.children(daemon.pid):
        for name in ENGINES[1:]:
            if rb.cmdline(c).startswith("hoststated: " + name):
                found[name] = c
    return found


def sample(pids):
    row = {}
    for name, pid in pids.items():
        try:
            row[name] = (rb.rss_mib(pid), len(os.listdir(f"/proc/{pid}/fd")), len(os.listdir(f"/proc/{pid}/task")))
        except OSError:
            row[name] = None
    return row


def slope_per_hour(points):
    """Least-squares slope of (seconds, MiB) points, in MiB per hour."""
    if len(points) < 2:
        return float("nan")
    n = len(points)
    mt = sum(t for t, _ in points) / n
    mv = sum(v for _, v in points) / n
    den = sum((t - mt) ** 2 for t, _ in points)
    return 3600 * sum((t - mt) * (v - mv) for t, v in points) / den if den else float("nan")


def wrk(name, seconds, work):
    url = f"{'https' if name == 'tls' else 'http'}://{ADDR}:{PORTS[name]}/"
    conns = {"keep-alive": 20, "close": 8, "tcp": 10, "tls": 6, "flap": 4}[name]
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s", "--latency", url]
    if name == "close":
        cmd[4:4] = ["-H", "Connection: close"]
    return rb.start(cmd, os.path.join(work, f"wrk-{name}.txt"))


def wrk_totals(path):
    text = open(path).read()
    m = re.search(r"(\d+) requests in", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    worst = re.search(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)", text, re.M)
    return (int(m.group(1)) if m else 0, sum(int(x) for x in errors.groups()) if errors else 0,
            int(non2xx.group(1)) if non2xx else 0, p99.group(1) if p99 else "?", worst.group(1) if worst else "?")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--sample-every", type=int, default=60, help="seconds between samples")
    ap.add_argument("--reload-every", type=int, default=60, help="seconds between reloads (0: none)")
    ap.add_argument("--flap-every", type=int, default=20, help="seconds the flapping host stays up or down")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="hs-soak.")
    os.chmod(work, 0o755)
    os.makedirs(os.path.join(work, "empty"), mode=0o755)
    created = tls_files()
    try:
        run(a, work)
    finally:
        rb.stop_all()
        for f in created:
            os.remove(f)
        if a.keep:
            rb.log("soak: work directory kept: " + work)
        else:
            subprocess.run(["rm", "-rf", work])


def run(a, work):
    www = nginx(work)
    flap_page = os.path.join(www, "flap")
    open(flap_page, "w").close()
    conf = config(work, extra=False)
    daemon = rb.start([os.path.join(TOP, "bin", "hoststated"), "-d", "-f", conf], os.path.join(work, "daemon.log"))
    wait_ready(work, daemon)
    seconds = int(a.minutes * 60)
    loads = {name: wrk(name, seconds, work) for name in ("keep-alive", "close", "tcp", "tls", "flap")}
    rb.log(f"soak: {a.minutes:g} min of load from {time.strftime('%H:%M:%S')}; work directory {work}")
    t0 = time.time()
    samples, reloads, failed_reloads, flaps, ctl_failures = [], 0, 0, 0, 0
    next_sample = next_flap = next_show = t0
    next_reload = t0 + a.reload_every if a.reload_every else float("inf")
    while time.time() - t0 < seconds:
        now = time.time()
        if daemon.poll() is not None:
            sys.exit("soak: the daemon exited:\n" + open(daemon.output).read()[-3000:])
        if now >= next_sample:
            samples.append((now - t0, sample(processes(daemon))))
            next_sample += a.sample_every
        if now >= next_reload:
            reloads += 1
            config(work, extra=reloads % 2 == 1)
            if ctl(work, "reload").returncode != 0:
                failed_reloads += 1
            next_reload += a.reload_every
        if now >= next_flap:
            if os.path.exists(flap_page):
                os.remove(flap_page)
            else:
                open(flap_page, "w").close()
            flaps += 1
            next_flap += a.flap_every
        if now >= next_show:
            if ctl(work, "show", "sessions").returncode != 0:
                ctl_failures += 1
            next_show += 10
        time.sleep(0.5)
    samples.append((time.time() - t0, sample(processes(daemon))))
    for p in loads.values():
        p.wait(timeout=60)
    report(a, work, daemon, samples, loads, reloads, failed_reloads, flaps, ctl_failures)


def report(a, work, daemon, samples, loads, reloads, failed_reloads, flaps, ctl_failures):
    print(f"## soak: {a.minutes:g} min, a sample every {a.sample_every} s, "
          f"{reloads} reloads ({failed_reloads} failed), {flaps} flaps, {ctl_failures} failed show sessions\n")
    print("| min | " + " | ".join(f"{n} RSS MiB / fds / threads" for n in ENGINES) + " |")
    print("|---|" + "---|" * len(ENGINES))
    for t, row in samples:
        cells = [("%.1f / %d / %d" % row[n]) if row.get(n) else "-" for n in ENGINES]
        print(f"| {t / 60:.1f} | " + " | ".join(cells) + " |")
    half = samples[-1][0] / 2
    print("\nGrowth over the second half (least squares), MiB per hour:")
    for n in ENGINES:
        points = [(t, row[n][0]) for t, row in samples if t >= half and row.get(n)]
        first = next((row[n] for _, row in samples if row.get(n)), None)
        last = samples[-1][1].get(n)
        fds = f"fds {first[1]} -> {last[1]}, threads {first[2]} -> {last[2]}" if first and last else ""
        print(f"  {n}: {slope_per_hour(points):+.1f} MiB/h  {fds}")
    print("\nLoad (wrk: requests, socket errors, non-2xx, latency p99 and max; p99 is wrk's, corrected for"
          " coordinated omission; the flap relay answers 503 while its host is down):")
    total = 0
    for name, p in loads.items():
        req, err, bad, p99, worst = wrk_totals(p.output)
        total += req
        print(f"  {name}: {req} requests, {err} socket errors, {bad} non-2xx, p99 {p99}, max {worst}")
    print(f"  all: {total} requests")
    log = open(daemon.output).read()
    restarts = len(re.findall(r"restarting ", log))
    print(f"\nEngines restarted: {restarts}; log lines with a warning: "
          f"{len(re.findall(r'warn', log, re.I))}; lines: {log.count(chr(10))}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
