#!/usr/bin/env python3
"""The relay of two builds side by side: before and after a change, to one nginx.

usage (as root): bench/relay/ab.py --before DIR [--after DIR] [--aa] [--addr 127.0.N]
    [--rounds 8] [--duration 8] [--warmup 16] [--cases keep-alive,tcp,close]

DIR is a checkout whose build is done (bin/hoststated runs it; e.g. `git worktree add` or
`git archive REV | tar x` of the commit before, then `./mvnw -o -q package -DskipTests` there).
--after defaults to this checkout. --aa starts a second daemon of the before build, so that the
run shows how far two daemons of one build differ (on a shared 2-core machine, often 5-10 %).
nginx listens on ADDR.1:8080, the daemons (prefork 1, each with a protocol http relay that
appends X-Forwarded-For on 8081 and a tcp relay on 8082) on ADDR.2, ADDR.3 and ADDR.4. Each round
runs wrk -t1 -c50 against every daemon in turn, the order reversed every other round; the
figure is the relay engine's CPU per request (utime+stime, and utime alone), and the summary
gives the median of each round's ratio to the first daemon. Stops what it started by pid.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

TCK = os.sysconf("SC_CLK_TCK")
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
started = []


def start(cmd, out, env=None):
    p = subprocess.Popen(cmd, stdout=open(out, "w"), stderr=subprocess.STDOUT, start_new_session=True, env=env)
    started.append(p)
    return p


def stop_all():
    for p in reversed(started):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in reversed(started):
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def cpu(pid):
    """(utime+stime, utime) of pid in seconds."""
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TCK, int(f[11]) / TCK


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if int(open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(d))
            except OSError:
                pass
    return out


def cmdline(pid):
    try:
        return open(f"/proc/{pid}/cmdline").read().replace("\0", " ")
    except OSError:
        return ""


def wait_port(addr, port, what, secs=180):
    end = time.time() + secs
    while time.time() < end:
        try:
            socket.create_connection((addr, port), 1).close()
            return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"ab: {what}: nothing listens on {addr}:{port} after {secs} s")


def nginx(work, addr):
    root = os.path.join(work, "www")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write(("<!DOCTYPE html><html><body>" + "x" * 612)[:597] + "</body></html>\n")
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{ access_log off; keepalive_requests 100000;
  server {{ listen {addr}:8080 backlog=4096; root {root}; }} }}
""")
    start(["nginx", "-c", conf], os.path.join(work, "nginx.out"))
    wait_port(addr, 8080, "nginx")


def daemon(work, name, top, addr, backend):
    d = os.path.join(work, name)
    chroot = os.path.join(d, "empty")
    os.makedirs(chroot, exist_ok=True)
    os.chmod(d, 0o755)
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
  listen on {addr} port 8081
  protocol web
  forward to {backend} port 8080
}}
relay plain {{
  listen on {addr} port 8082
  forward to {backend} port 8080
}}
""")
    env = dict(os.environ)
    env.pop("HOSTSTATED_RELAY_TRANSPORT", None)
    p = start([os.path.join(top, "bin", "hoststated"), "-d", "-f", conf], os.path.join(d, "daemon.log"), env)
    wait_port(addr, 8081, name)
    wait_port(addr, 8082, name)
    relay = None
    end = time.time() + 30
    while relay is None and time.time() < end:
        relay = next((c for c in children(p.pid) if cmdline(c).startswith("hoststated: relay engine")), None)
        time.sleep(0.2)
    if relay is None:
        sys.exit(f"ab: {name}: no relay engine under the daemon {p.pid}")
    return {"addr": addr, "relay": relay}


def run(dm, case, secs):
    cmd = ["wrk", "-t1", "-c50", f"-d{secs}s"]
    if case == "close":
        cmd += ["-H", "Connection: close"]
    cmd.append(f"http://{dm['addr']}:{8082 if case == 'tcp' else 8081}/")
    c0, u0 = cpu(dm["relay"])
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=secs + 60).stdout
    c1, u1 = cpu(dm["relay"])
    m = re.search(r"(\d+) requests in", out)
    n = int(m.group(1)) if m else 0
    errors = sum(int(x) for x in re.findall(r"(?:Non-2xx or 3xx responses:|connect|read|write|timeout) (\d+)", out))
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return {"rps": float(rps.group(1)) if rps else 0.0, "us": (c1 - c0) / max(n, 1) * 1e6,
            "user": (u1 - u0) / max(n, 1) * 1e6, "errors": errors}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--before", required=True, help="checkout of the build before the change")
    ap.add_argument("--after", default=TOP, help="checkout of the build after it (default: this one)")
    ap.add_argument("--aa", action="store_true", help="a second daemon of the before build")
    ap.add_argument("--addr", default="127.0.61", help="the first three bytes of the loopback addresses")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=16, help="seconds of load per daemon and case first")
    ap.add_argument("--cases", default="keep-alive,tcp,close")
    a = ap.parse_args()
    if os.getuid() != 0:
        sys.exit("ab: run as root (the daemons bind and drop privileges)")
    cases = a.cases.split(",")
    builds = [("after", a.after, a.addr + ".3"), ("before", a.before, a.addr + ".2")]
    if a.aa:
        builds.append(("before2", a.before, a.addr + ".4"))
    work = f"/tmp/bench-relay-ab.{os.getpid()}"
    os.makedirs(work)
    try:
        nginx(work, a.addr + ".1")
        ds = {n: daemon(work, n, top, addr, a.addr + ".1") for n, top, addr in builds}
        for d in ds.values():
            for case in cases:
                run(d, case, max(1, a.warmup))
        names = list(ds)
        res = {(n, c): [] for n in names for c in cases}
        for r in range(a.rounds):
            for case in cases:
                for n in (names if r % 2 == 0 else names[::-1]):
                    x = run(ds[n], case, a.duration)
                    res[(n, case)].append(x)
                    print(f"round {r} {case:10s} {n:7s} {x['rps']:8.0f} req/s {x['us']:6.1f} us/req "
                          f"(user {x['user']:5.2f}) errors {x['errors']}", flush=True)
        print()
        for case in cases:
            ref = res[(names[0], case)]
            print(f"{case}: {names[0]} {statistics.median(x['us'] for x in ref):.1f} us/req "
                  f"(user {statistics.median(x['user'] for x in ref):.2f}), "
                  f"{statistics.median(x['rps'] for x in ref):.0f} req/s, errors {sum(x['errors'] for x in ref)}")
            for n in names[1:]:
                other = res[(n, case)]
                ratios = sorted(y["us"] / x["us"] for x, y in zip(ref, other))
                users = sorted(y["user"] / x["user"] for x, y in zip(ref, other) if x["user"] > 0)
                print(f"  {n} {statistics.median(x['us'] for x in other):.1f} us/req, "
                      f"{statistics.median(x['rps'] for x in other):.0f} req/s, errors {sum(x['errors'] for x in other)}; "
                      f"per round / {names[0]}: CPU {statistics.median(ratios):.3f} "
                      f"({', '.join(f'{v:.2f}' for v in ratios)}), user {statistics.median(users):.3f}")
    finally:
        stop_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
