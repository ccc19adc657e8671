#!/usr/bin/env python3
"""The relay benchmark of BENCH.md, driven by bench/relay/run.sh (which installs the tools and
builds the daemon first). Starts nginx (the backend), HAProxy (nbthread 1) and two hoststated
daemons (prefork 1; one whose relay engine runs on io_uring, one held to epoll by a seccomp
filter), then alternates every path in each round: HTTP keep-alive (with an X-Forwarded-For
append), HTTP Connection: close, TCP mode, and a bulk TCP transfer; on request (--cases) the
same HTTP over TLS, kept alive and one handshake per request. Prints medians and ratios.
Every process it starts is stopped by pid on exit; all ports are in 24000-24999 on 127.0.0.1
(TLS on --tls-addr, whose /etc/ssl files it writes when they are missing and removes after)."""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HERE = os.path.dirname(os.path.abspath(__file__))
CLK_TCK = os.sysconf("SC_CLK_TCK")
ADDR = "127.0.0.1"
NGINX, IPERF = 24080, 24090
NGINX_TLS = 24443
HAPROXY = {"http": 24081, "tcp": 24082, "bulk": 24083, "tls": 24084}
OURS = {"io_uring": {"http": 24101, "tcp": 24102, "bulk": 24103, "tls": 24104},
        "epoll": {"http": 24201, "tcp": 24202, "bulk": 24203, "tls": 24204}}
# TLS listens on an address of its own: the daemon reads /etc/ssl/<address>.crt, and a test
# certificate must not take the place of one the machine has for 127.0.0.1.
TLS_ADDR = "127.0.0.77"
EPOLL_BY = "variable"
TLS_CASES = ("tls-keep-alive", "tls-close")
BULK_WARMUP = 4  # bulk transfers per relay daemon before the bulk rounds
PAGE_BYTES = 612

started = []


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def start(cmd, path, **kw):
    p = subprocess.Popen(cmd, stdout=open(path, "w"), stderr=subprocess.STDOUT, start_new_session=True, **kw)
    p.output = path
    started.append(p)
    return p


def stop_all():
    for p in reversed(started):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for p in reversed(started):
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK   # utime, stime: fields 14 and 15


def jit_seconds(pid):
    """CPU seconds of pid's JIT compiler threads (HotSpot's "C1/C2 CompilerThread"; 0 for a
    process without them, as HAProxy and nginx): the relay's CPU per request includes them, and
    C2 goes on compiling the relay's paths well after the bench's warm-up (2026-12-04: 23-27 %
    of the relay's CPU in the first keep-alive round after 15 s per case, 0-10 % later)."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if stat[stat.index("(") + 1:].startswith(("C1 CompilerThre", "C2 CompilerThre")):
            fields = stat.rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def cpu_pressure_us():
    """Microseconds in which some task waited for a CPU (/proc/pressure/cpu "some" total), or None."""
    try:
        with open("/proc/pressure/cpu") as f:
            return int(re.search(r"^some .*total=(\d+)", f.read(), re.M).group(1))
    except (OSError, AttributeError):
        return None


def machine_idle_ticks():
    """(idle ticks, all ticks) of all CPUs, from /proc/stat."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    return ticks[3] + ticks[4], sum(ticks)


def waited_children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def rss_mib(pid, key="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def children(pid):
    """Children of every thread of pid (a JVM spawns from its worker threads)."""
    out = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/children") as f:
                out += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def wait_port(port, what, proc, limit=60):
    import socket
    deadline = time.time() + limit
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            with open(proc.output) as f:
                sys.exit(f"relaybench: {what} exited at start:\n" + f.read()[-3000:])
        try:
            with socket.create_connection((ADDR, port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"relaybench: {what} does not listen on port {port}")


def wait_http(port, what, proc, limit=180):
    """Waits until a request through port is answered: the parent binds before the relay serves."""
    import http.client
    deadline = time.time() + limit
    while time.time() < deadline:
        if proc.poll() is not None:
            with open(proc.output) as f:
                sys.exit(f"relaybench: {what} exited at start:\n" + f.read()[-3000:])
        try:
            c = http.client.HTTPConnection(ADDR, port, timeout=2)
            c.request("GET", "/")
            if c.getresponse().status == 200:
                c.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"relaybench: no answer through {what} on port {port}")


def tls_keys(work):
    """A P-256 certificate for TLS_ADDR: in /etc/ssl for hoststated unless one is there, and as
    one PEM file for HAProxy and nginx. Returns (pem, files this run created)."""
    crt, key = f"/etc/ssl/{TLS_ADDR}.crt", f"/etc/ssl/private/{TLS_ADDR}.key"
    created = []
    if not (os.path.exists(crt) and os.path.exists(key)):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-days", "2", "-subj", "/CN=" + TLS_ADDR, "-keyout", key, "-out", crt],
                       check=True, capture_output=True)
        created = [crt, key]
    pem = os.path.join(work, "tls.pem")
    with open(pem, "w") as out:
        for path in (crt, key):
            with open(path) as f:
                out.write(f.read())
    return pem, created


def nginx(work, pem=None):
    root = os.path.join(work, "www")
    os.makedirs(root)
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write(("<!DOCTYPE html><html><body>" + "x" * PAGE_BYTES)[:PAGE_BYTES - 15] + "</body></html>\n")
    conf = os.path.join(work, "nginx.conf")
    tls_server = "" if pem is None else (f"server {{ listen {TLS_ADDR}:{NGINX_TLS} ssl backlog=4096; "
                                         f"ssl_certificate {pem}; ssl_certificate_key {pem}; root {root}; }}")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 100000;
  server {{ listen {ADDR}:{NGINX} backlog=4096; root {root}; }}
  {tls_server}
}}
""")
    p = start(["nginx", "-c", conf], os.path.join(work, "nginx.out"))
    wait_port(NGINX, "nginx", p)
    # The worker forks a moment after the master listens: its CPU is the backend's.
    workers = []
    for _ in range(50):
        workers = [c for c in children(p.pid) if "worker" in cmdline(c)]
        if workers:
            break
        time.sleep(0.1)
    return p, workers[0] if workers else p.pid


def haproxy(work, pem=None):
    conf = os.path.join(work, "haproxy.cfg")
    with open(conf, "w") as f:
        f.write(f"""global
  nbthread 1
  maxconn 8000
defaults
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend http
  mode http
  bind {ADDR}:{HAPROXY['http']}
  option http-keep-alive
  option forwardfor
  default_backend nginx_http
backend nginx_http
  mode http
  http-reuse always
  server n1 {ADDR}:{NGINX}
frontend tcp
  mode tcp
  bind {ADDR}:{HAPROXY['tcp']}
  default_backend nginx_tcp
backend nginx_tcp
  mode tcp
  server n1 {ADDR}:{NGINX}
frontend bulk
  mode tcp
  bind {ADDR}:{HAPROXY['bulk']}
  default_backend iperf
backend iperf
  mode tcp
  server i1 {ADDR}:{IPERF}
""")
        if pem is not None:
            f.write(f"""frontend tls
  mode http
  bind {TLS_ADDR}:{HAPROXY['tls']} ssl crt {pem}
  option http-keep-alive
  option forwardfor
  default_backend nginx_http
""")
    p = start(["haproxy", "-db", "-f", conf], os.path.join(work, "haproxy.out"))
    wait_port(HAPROXY["http"], "haproxy", p)
    return p


def write_config(d, ports, tls=False):
    """Makes the daemon directory d with its chroot and writes its configuration: an HTTP relay
    (X-Forwarded-For appended) and a TCP relay to nginx, a TCP relay to iperf3 when ports has
    'bulk', a TLS relay when tls. Returns the configuration's path."""
    chroot = os.path.join(d, "empty")
    os.makedirs(chroot)
    os.chmod(d, 0o755)
    os.chmod(chroot, 0o755)
    conf = os.path.join(d, "hoststated.conf")
    with open(conf, "w") as f:
        f.write(f"""user "nobody"
chroot "{chroot}"
socket "{d}/hoststated.sock"
l3 backend none
prefork 1
protocol web {{
  protocol http
  request header append "$REMOTE_ADDR" to "X-Forwarded-For"
}}
relay www {{
  listen on {ADDR} port {ports['http']}
  protocol web
  forward to {ADDR} port {NGINX}
}}
relay plain {{
  listen on {ADDR} port {ports['tcp']}
  forward to {ADDR} port {NGINX}
}}
""")
        if "bulk" in ports:
            f.write(f"""relay bulkcopy {{
  listen on {ADDR} port {ports['bulk']}
  forward to {ADDR} port {IPERF}
}}
""")
        if tls:
            f.write(f"""relay wwws {{
  listen on {TLS_ADDR} port {ports['tls']} ssl
  protocol web
  forward to {ADDR} port {NGINX}
}}
""")
    return conf


def relay_engine(proc, what):
    """The pid of the relay engine under the daemon proc (waited for up to 30 s) and the
    transport it runs, read from its descriptors: an io_uring ring is an anon inode."""
    relay = None
    deadline = time.time() + 30
    while relay is None and time.time() < deadline:
        relay = next((c for c in children(proc.pid) if cmdline(c).startswith("hoststated: relay engine")), None)
        time.sleep(0.1)
    if relay is None:
        sys.exit(f"{what}: no relay engine under the daemon {proc.pid}")
    fds = []
    for fd in os.listdir(f"/proc/{relay}/fd"):
        try:
            fds.append(os.readlink(f"/proc/{relay}/fd/{fd}"))
        except OSError:
            pass
    return relay, "io_uring" if "anon_inode:[io_uring]" in fds else "epoll"


def hoststated(work, transport, tls=False):
    d = os.path.join(work, "hs-" + transport)
    ports = OURS[transport]
    conf = write_config(d, ports, tls)
    cmd = [os.path.join(TOP, "bin", "hoststated"), "-d", "-f", conf]
    env = dict(os.environ)
    env.pop("HOSTSTATED_RELAY_TRANSPORT", None)
    if transport == "epoll" and EPOLL_BY == "seccomp":
        cmd = [sys.executable, os.path.join(HERE, "no-io-uring.py")] + cmd
    elif transport == "epoll":
        env["HOSTSTATED_RELAY_TRANSPORT"] = "epoll"
    logfile = os.path.join(d, "daemon.log")
    p = start(cmd, logfile, env=env)
    for port in (ports["http"], ports["tcp"]):
        wait_http(port, "hoststated " + transport, p)
    relay, running = relay_engine(p, "relaybench")
    if running != transport:
        log(f"relaybench: the {transport} daemon's relay engine runs on {running}")
    with open(logfile) as f:
        http_as_tcp = "relayed as tcp" in f.read()
    return {"proc": p, "relay": relay, "transport": running, "http_as_tcp": http_as_tcp, "log": logfile}


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def to_ms(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
    return float(m.group(1)) * UNITS[m.group(2)] if m else float("nan")


def wrk(port, seconds, close, cpu_pid, backend_pid=None, tls=False, connections=50):
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if close:
        cmd += ["-H", "Connection: close"]
    cmd.append(f"https://{TLS_ADDR}:{port}/" if tls else f"http://{ADDR}:{port}/")
    before = cpu_seconds(cpu_pid) if cpu_pid else 0.0
    jit_before = jit_seconds(cpu_pid) if cpu_pid else 0.0
    backend_before = cpu_seconds(backend_pid) if backend_pid else 0.0
    wrk_before = waited_children_cpu()
    idle_before, all_before = machine_idle_ticks()
    psi_before, wall_before = cpu_pressure_us(), time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    psi_after, wall_after = cpu_pressure_us(), time.monotonic()
    idle_after, all_after = machine_idle_ticks()
    cpu = cpu_seconds(cpu_pid) - before if cpu_pid else 0.0
    jit = jit_seconds(cpu_pid) - jit_before if cpu_pid else 0.0
    r = {"rps": 0.0, "p50": float("nan"), "p99": float("nan"), "errors": 0, "cpu": cpu, "jit_cpu": jit, "requests": 0,
         "backend_cpu": cpu_seconds(backend_pid) - backend_before if backend_pid else float("nan"),
         "wrk_cpu": waited_children_cpu() - wrk_before,
         "idle": (idle_after - idle_before) / max(1, all_after - all_before),
         # share of the run's time in which some task waited for a CPU (PSI); nan without PSI
         "cpu_wait": (psi_after - psi_before) / 1e6 / (wall_after - wall_before)
         if psi_before is not None and psi_after is not None else float("nan")}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        r["rps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in", out)
    if m:
        r["requests"] = int(m.group(1))
    for pct, key in (("50", "p50"), ("99", "p99")):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        if m:
            r[key] = to_ms(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        r["errors"] += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        r["errors"] += sum(int(x) for x in m.groups())
    if not r["requests"]:
        log("wrk gave no result:\n" + out)
    return r


def iperf(port, size, cpu_pid):
    before = cpu_seconds(cpu_pid) if cpu_pid else 0.0
    out = subprocess.run(["iperf3", "-c", ADDR, "-p", str(port), "-n", size, "-J"],
                         capture_output=True, text=True, timeout=300).stdout
    cpu = cpu_seconds(cpu_pid) - before if cpu_pid else 0.0
    try:
        bps = json.loads(out)["end"]["sum_received"]["bits_per_second"]
    except (ValueError, KeyError):
        log("iperf3 gave no result:\n" + out[-2000:])
        bps = 0.0
    return {"gbps": bps / 1e9, "cpu": cpu}


def per_cpu_s(r):
    return r["requests"] / r["cpu"] if r["cpu"] > 0 else float("nan")


def paired(results, case, name, ref, value):
    """The median over rounds of name's value divided by ref's in the same round: the paths of
    a round run back to back, so the machine's drift between rounds (10 % and more on a shared
    2-CPU machine) cancels out of each ratio instead of adding to the spread of the medians."""
    return med([value(r) / value(q) for r, q in zip(results[(case, name)], results[(case, ref)])
                if value(q) > 0])


def med(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


def main():
    global ADDR, OURS, TLS_ADDR, EPOLL_BY
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    # 30 s per case: the JIT compiler still took 1.9 µs per TCP request after 30 s of load
    # and 0.1-0.7 µs after a minute (README); the figures are of the relay's steady state.
    ap.add_argument("--warmup", type=int, default=90, help="seconds of load per relay daemon before measuring")
    ap.add_argument("--bulk", default="1G", help="bytes per bulk transfer (iperf3 -n)")
    ap.add_argument("--bulk-rounds", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, configs)")
    ap.add_argument("--addr", default=ADDR, help="loopback address every process binds (default 127.0.0.1)")
    ap.add_argument("--cases", default="keep-alive,close,tcp",
                    help="comma-separated subset of keep-alive,close,tcp,tls-keep-alive,tls-close "
                         "(bulk: --bulk-rounds 0 skips it)")
    ap.add_argument("--tls-addr", default=TLS_ADDR, help="loopback address of the TLS listeners")
    ap.add_argument("--transports", default="io_uring,epoll", help="which relay daemons to start")
    ap.add_argument("--epoll-by", choices=("variable", "seccomp"), default="variable",
                    help="how the epoll daemon avoids io_uring: HOSTSTATED_RELAY_TRANSPORT=epoll, or a "
                         "seccomp filter failing io_uring_setup as a kernel or container without io_uring "
                         "would (every system call of the daemon then passes the filter)")
    a = ap.parse_args()
    ADDR = a.addr
    TLS_ADDR = a.tls_addr
    EPOLL_BY = a.epoll_by
    OURS = {t: OURS[t] for t in a.transports.split(",")}

    work = tempfile.mkdtemp(prefix="ru-relaybench.")
    os.chmod(work, 0o755)
    try:
        run(a, work)
    finally:
        stop_all()
        if a.keep:
            log("work directory kept: " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(a, work):
    tls = any(c in TLS_CASES for c in a.cases.split(","))
    pem, created = tls_keys(work) if tls else (None, [])
    try:
        measure(a, work, pem)
    finally:
        stop_all()
        for path in created:
            os.unlink(path)


def measure(a, work, pem):
    tls = pem is not None
    ngx, ngx_worker = nginx(work, pem)
    ipf = start(["iperf3", "-s", "-B", ADDR, "-p", str(IPERF)], os.path.join(work, "iperf3.out"))
    hap = haproxy(work, pem)
    ours = {t: hoststated(work, t, tls) for t in OURS}
    for t, o in ours.items():
        log(f"hoststated ({t} daemon): relay engine pid {o['relay']} runs on {o['transport']}"
            + ("; its http relay is relayed as tcp (no HTTP handler in this build)" if o["http_as_tcp"] else ""))
    time.sleep(2)
    idle = {t: rss_mib(o["relay"]) for t, o in ours.items()}

    # paths: name -> (port per case, pid whose CPU is the proxy's)
    def path_ports(case):
        key = "tls" if case in TLS_CASES else "http" if case != "tcp" else "tcp"
        paths = [("nginx direct" + (" tls" if key == "tls" else ""), NGINX_TLS if key == "tls" else NGINX, ngx_worker),
                 ("HAProxy " + key, HAPROXY[key], hap.pid)]
        for t, o in ours.items():
            label = f"hoststated {o['transport']} {key}"
            if key == "http" and o["http_as_tcp"]:
                label += " (as tcp)"
            paths.append((label, OURS[t][key], o["relay"]))
        return paths

    if a.warmup > 0:
        # Every code path gets load before measuring: C2 compiles the connect/close path only
        # when it runs (in a short run C2 took over half of the relay's CPU).
        log(f"warm-up: {a.warmup} s per relay daemon (keep-alive, close, tcp" + (", tls)" if tls else ")"))
        for t in OURS:
            runs = [(OURS[t]["http"], False, False), (OURS[t]["http"], True, False), (OURS[t]["tcp"], False, False)]
            if tls:
                runs += [(OURS[t]["tls"], False, True), (OURS[t]["tls"], True, True)]
            for port, close, over_tls in runs:
                wrk(port, max(1, a.warmup // 3), close, None, tls=over_tls)
    cases = [c for c in (("keep-alive", False, "http"), ("close", True, "http"), ("tcp", False, "tcp"),
                         ("tls-keep-alive", False, "tls"), ("tls-close", True, "tls"))
             if c[0] in a.cases.split(",")]
    results = {}
    for rnd in range(a.rounds):
        for case, close, _ in cases:
            for name, port, pid in path_ports(case):
                r = wrk(port, a.duration, close, pid, ngx_worker, tls=case in TLS_CASES)
                results.setdefault((case, name), []).append(r)
                log(f"round {rnd + 1} {case:10s} {name:32s} {r['rps']:9.0f} req/s  p99 {r['p99']:.2f} ms  "
                    f"errors {r['errors']}  cpu {r['cpu']:.2f} s")
    loaded = {t: rss_mib(o["relay"]) for t, o in ours.items()}
    peak = {t: rss_mib(o["relay"], "VmHWM") for t, o in ours.items()}

    bulk = {}
    bulk_paths = [("direct", IPERF, None), ("HAProxy tcp", HAPROXY["bulk"], hap.pid)] + \
        [(f"hoststated {o['transport']} tcp", OURS[t]["bulk"], o["relay"]) for t, o in ours.items()]
    # Warm-up of the copy path: C2 compiles it over the first transfers (relay user time per
    # GiB fell from 0.53 to 0.03-0.06 s over six rounds after a single warm-up transfer).
    for t in OURS if a.bulk_rounds > 0 else ():
        for _ in range(BULK_WARMUP):
            iperf(OURS[t]["bulk"], a.bulk, None)
    for rnd in range(a.bulk_rounds):
        for name, port, pid in bulk_paths:
            r = iperf(port, a.bulk, pid)
            bulk.setdefault(name, []).append(r)
            log(f"bulk round {rnd + 1} {name:28s} {r['gbps']:.2f} Gbit/s  cpu {r['cpu']:.2f} s")

    report(a, cases, path_ports, results, bulk, bulk_paths, idle, loaded, peak, ours)


def report(a, cases, path_ports, results, bulk, bulk_paths, idle, loaded, peak, ours):
    print(f"\nrelay benchmark: wrk -t1 -c50 -d{a.duration}s, median of {a.rounds} alternating rounds "
          f"(warm-up {a.warmup} s); nginx 1 worker, {PAGE_BYTES}-byte page; HAProxy nbthread 1; "
          f"hoststated prefork 1; {os.cpu_count()} CPUs, kernel {os.uname().release}")
    if a.rounds < 5:
        print("note: fewer than 5 rounds (BENCH.md asks for the median of at least 5): a smoke run, not figures")
    hdr = (f"{'case':10s} {'path':34s} {'req/s':>8s} {'x direct':>8s} {'x HAProxy':>9s} {'p50 ms':>7s} "
           f"{'p99 ms':>7s} {'errors':>6s} {'CPU s':>6s} {'req/CPU-s':>9s} {'x HAProxy':>9s}")
    print(hdr)
    print("-" * len(hdr))
    # --rounds 0 (a bulk-only run) measured no case.
    for case, _, _ in (cases if a.rounds > 0 else []):
        paths = path_ports(case)
        direct_name, hap_name = paths[0][0], paths[1][0]
        for name, _, _ in paths:
            rs = results[(case, name)]
            rps = med([r["rps"] for r in rs])
            cpu = med([r["cpu"] for r in rs])
            per_cpu = med([per_cpu_s(r) for r in rs])
            errs = sum(r["errors"] for r in rs)
            is_proxy = name != direct_name
            x_direct = paired(results, case, name, direct_name, lambda r: r["rps"])
            x_hap = paired(results, case, name, hap_name, lambda r: r["rps"])
            x_hap_cpu = paired(results, case, name, hap_name, per_cpu_s)
            print(f"{case:10s} {name:34s} {rps:8.0f} {x_direct:8.2f} "
                  f"{(f'{x_hap:9.2f}' if is_proxy else ' ' * 9)} {med([r['p50'] for r in rs]):7.2f} "
                  f"{med([r['p99'] for r in rs]):7.2f} {errs:6d} "
                  f"{cpu:6.2f} {per_cpu:9.0f} {(f'{x_hap_cpu:9.2f}' if is_proxy else ' ' * 9)}")
    print("(req/s, p50, p99, CPU s, req/CPU-s: medians over the rounds; x direct and x HAProxy: median of the")
    print(" rounds' own ratios, each round's paths having run back to back)")
    print("(CPU s: per wrk run, of the proxy process; for nginx direct, of its worker)")
    # On a small machine the three processes share the CPUs: a proxy that uses less CPU per
    # request leaves more to wrk and nginx, and a run with idle CPU was bound by latency instead.
    print(f"\nCPU per request (µs), medians: {'proxy':>6s} {'nginx':>6s} {'wrk':>6s} {'all':>6s}   machine idle"
          "   proxy's JIT (rounds)")
    for case, _, _ in cases:
        for name, _, _ in path_ports(case):
            rs = [r for r in results.get((case, name), []) if r["requests"]]
            if not rs:
                continue
            us = {k: med([r[k] / r["requests"] * 1e6 for r in rs]) for k in ("cpu", "backend_cpu", "wrk_cpu")}
            proxy = us["cpu"] if name != path_ports(case)[0][0] else 0.0
            # The JIT compiler threads' share, round by round: C2 still compiling shows here
            # rather than as the relay's own cost per request.
            jit = [r["jit_cpu"] / r["requests"] * 1e6 for r in rs]
            print(f"  {case:10s} {name:32s} {proxy:6.1f} {us['backend_cpu']:6.1f} {us['wrk_cpu']:6.1f} "
                  f"{proxy + us['backend_cpu'] + us['wrk_cpu']:6.1f}   {med([r['idle'] for r in rs]) * 100:5.1f} %"
                  + (f"   {' '.join(f'{x:.1f}' for x in jit)}" if any(jit) else ""))
    if bulk:
        print(f"\nbulk TCP: iperf3 -n {a.bulk}, one stream, median of {a.bulk_rounds} rounds")
        for name, _, _ in bulk_paths:
            g = med([r["gbps"] for r in bulk[name]])
            cpu = med([r["cpu"] for r in bulk[name]])
            ratio = med([r["gbps"] / q["gbps"] for r, q in zip(bulk[name], bulk["direct"]) if q["gbps"] > 0])
            print(f"  {name:30s} {g:6.2f} Gbit/s  {ratio:5.2f} x direct"
                  + (f"  proxy CPU {cpu:.2f} s" if name != "direct" else ""))
        print("  (Gbit/s and CPU: medians; x direct: median of the rounds' own ratios)")
    print("\nrelay engine JVM RSS (MiB): idle after start / after the load / peak (VmHWM)")
    for t, o in ours.items():
        print(f"  {o['transport']:9s} {idle[t]:6.1f} / {loaded[t]:6.1f} / {peak[t]:6.1f}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
