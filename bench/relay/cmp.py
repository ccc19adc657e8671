#!/usr/bin/env python3
"""Two builds of the relay side by side, with HAProxy as the reference: the A/B comparison
DESIGN.md's performance notes rest on. Starts nginx, HAProxy (nbthread 1) and two hoststated
daemons on one transport, one on each build's jars, then alternates in every round HAProxy
and the two daemons (which of them goes first alternates too) for each case, and prints the
relay CPU per request (/proc/<pid>/stat utime+stime over wrk's requests) of each run, their
medians and the median of each round's own after/before ratio.

The daemon started second has come out about 5 % ahead with the same build on both sides (an
A/A run on the shared 2-core machine, 2026-12-03): run a comparison in both orders (--swap
starts the 'after' build first) and average, or compare against an A/A run.

usage (as root, from a checkout, after building both):
  bench/relay/cmp.py --before /tmp/old-lib [--after hoststated-parent/target/lib]
                     [--transport epoll|io_uring] [--cases keep-alive,close,tcp] [--rounds 6]
                     [--duration 6] [--warmup 30] [--connections 50] [--addr 127.0.0.1] [--swap]
A build's jars: its hoststated-parent/target/lib after './mvnw -o -q install -DskipTests'
(copy it away before building the other). Ports 24080-24312 on --addr; everything it starts
is stopped by pid at the end."""
import argparse
import os
import shutil
import signal
import statistics
import sys
import tempfile

import relaybench as rb

PORTS = {"first": {"http": 24211, "tcp": 24212}, "second": {"http": 24311, "tcp": 24312}}
CASES = (("keep-alive", False, "http"), ("close", True, "http"), ("tcp", False, "tcp"))


def lib_dir(path, what):
    """path, checked to hold a build's jars; exits with the reason otherwise."""
    path = os.path.abspath(path)
    if not os.path.isdir(path) or not any(f.startswith("hoststated-relay-") for f in os.listdir(path)):
        sys.exit(f"cmp: {what} {path}: no hoststated-relay jar there (build with "
                 "'./mvnw -o -q install -DskipTests' and give its hoststated-parent/target/lib)")
    return path


def daemon(work, slot, lib, transport):
    """A hoststated daemon on lib's jars with an HTTP and a TCP relay to nginx; its relay engine's pid."""
    d = os.path.join(work, "hs-" + slot)
    ports = PORTS[slot]
    conf = rb.write_config(d, ports)
    env = dict(os.environ, HOSTSTATED_LIB=lib)
    env.pop("HOSTSTATED_RELAY_TRANSPORT", None)
    if transport == "epoll":
        env["HOSTSTATED_RELAY_TRANSPORT"] = "epoll"
    proc = rb.start([os.path.join(rb.TOP, "dist", "bin", "hoststated"), "-d", "-f", conf],
                    os.path.join(d, "daemon.log"), env=env)
    for port in ports.values():
        rb.wait_http(port, f"hoststated ({lib})", proc)
    relay, running = rb.relay_engine(proc, "cmp")
    if running != transport:
        sys.exit(f"cmp: the relay engine on {lib} runs {running}, not {transport}")
    return relay


def us_per_request(r):
    return r["cpu"] / r["requests"] * 1e6 if r["requests"] else float("nan")


def jit_us_per_request(r):
    """The part of us_per_request spent by the JIT compiler threads."""
    return r["jit_cpu"] / r["requests"] * 1e6 if r["requests"] else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", required=True, help="the jars of the build to compare against")
    ap.add_argument("--after", default=os.path.join(rb.TOP, "hoststated-parent", "target", "lib"),
                    help="the jars of the build under test (default: this checkout's)")
    ap.add_argument("--transport", choices=("epoll", "io_uring"), default="epoll")
    ap.add_argument("--cases", default="keep-alive,close,tcp", help="subset of keep-alive,close,tcp")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--duration", type=int, default=6, help="seconds per wrk run")
    ap.add_argument("--warmup", type=int, default=30, help="seconds of load per daemon before measuring")
    ap.add_argument("--connections", type=int, default=50,
                    help="wrk's connections in the measured runs: 1 shows the latency a lone client gets")
    ap.add_argument("--addr", default=rb.ADDR, help="loopback address every process binds")
    ap.add_argument("--swap", action="store_true", help="start the 'after' build first")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("cmp: run as root (the daemon binds and drops privileges)")
    if a.rounds < 1 or a.duration < 1 or a.warmup < 0:
        sys.exit("cmp: --rounds and --duration must be at least 1, --warmup at least 0")
    cases = [c for c in CASES if c[0] in a.cases.split(",")]
    unknown = set(a.cases.split(",")) - {c[0] for c in CASES}
    if unknown or not cases:
        sys.exit(f"cmp: unknown case(s) {', '.join(sorted(unknown)) or a.cases}; give keep-alive, close or tcp")
    builds = {"before": lib_dir(a.before, "--before"), "after": lib_dir(a.after, "--after")}
    rb.ADDR = a.addr
    work = tempfile.mkdtemp(prefix="relay-cmp.")
    os.chmod(work, 0o755)
    try:
        run(a, work, cases, builds)
    finally:
        rb.stop_all()
        shutil.rmtree(work, ignore_errors=True)


def run(a, work, cases, builds):
    _, ngx_worker = rb.nginx(work)
    hap = rb.haproxy(work)
    order = ("after", "before") if a.swap else ("before", "after")
    slot = {order[0]: "first", order[1]: "second"}
    relays = {}
    for name in order:
        relays[name] = daemon(work, slot[name], builds[name], a.transport)
        rb.log(f"cmp: {name} ({builds[name]}): relay engine pid {relays[name]} on {a.transport}, "
               f"started {slot[name]}")
    for name in order:
        for _, close, key in cases:
            rb.wrk(PORTS[slot[name]][key], max(1, a.warmup // len(cases)), close, None)
    results = {}
    for rnd in range(a.rounds):
        for case, close, key in cases:
            pair = ["before", "after"] if rnd % 2 == 0 else ["after", "before"]
            for name in ["HAProxy"] + pair:
                port, pid = (rb.HAPROXY[key], hap.pid) if name == "HAProxy" else (PORTS[slot[name]][key], relays[name])
                r = rb.wrk(port, a.duration, close, pid, ngx_worker, connections=a.connections)
                results.setdefault((case, name), []).append(r)
                rb.log(f"round {rnd + 1} {case:10s} {name:7s} {r['rps']:8.0f} req/s  errors {r['errors']}  "
                       f"{us_per_request(r):6.1f} µs/request (JIT {jit_us_per_request(r):4.1f})  "
                       f"p50 {r['p50']:.3f} p99 {r['p99']:.2f} ms  CPU wait {100 * r['cpu_wait']:.0f} %")
    print(f"\nrelay CPU per request (µs), {a.transport}, {a.rounds} alternating rounds of {a.duration} s; "
          f"'after' started {slot['after']}")
    for case, _, _ in cases:
        us = {n: [us_per_request(r) for r in results[(case, n)]] for n in ("HAProxy", "before", "after")}
        errors = sum(r["errors"] for n in ("HAProxy", "before", "after") for r in results[(case, n)])
        ratios = [x / y for x, y in zip(us["after"], us["before"]) if y > 0]
        print(f"  {case:10s} HAProxy {rb.med(us['HAProxy']):6.1f}  before {rb.med(us['before']):6.1f}  "
              f"after {rb.med(us['after']):6.1f}  after/before {rb.med(ratios):.3f} "
              f"(rounds {' '.join(f'{x:.2f}' for x in ratios)})  errors {errors}")
        rps = {n: [r["rps"] for r in results[(case, n)]] for n in ("HAProxy", "before", "after")}
        print(f"  {'':10s} req/s HAProxy {rb.med(rps['HAProxy']):.0f}  before {rb.med(rps['before']):.0f}  "
              f"after {rb.med(rps['after']):.0f}; p50/p99 ms "
              + "  ".join(f"{n} {rb.med([r['p50'] for r in results[(case, n)]]):.3f}/"
                          f"{rb.med([r['p99'] for r in results[(case, n)]]):.2f}" for n in ("HAProxy", "before", "after")))
        for n in ("before", "after"):
            print(f"  {'':10s} {n}/HAProxy {rb.med([x / y for x, y in zip(us[n], us['HAProxy']) if y > 0]):.3f}")
        # C2 compiling into the rounds moves single rounds by up to a quarter: the ratio without
        # the JIT threads' CPU separates that from the builds' own cost.
        own = {n: [u - jit_us_per_request(r) for u, r in zip(us[n], results[(case, n)])] for n in ("before", "after")}
        jit = {n: [jit_us_per_request(r) for r in results[(case, n)]] for n in ("before", "after")}
        print(f"  {'':10s} without the JIT threads: before {rb.med(own['before']):6.1f}  after {rb.med(own['after']):6.1f}  "
              f"after/before {rb.med([x / y for x, y in zip(own['after'], own['before']) if y > 0]):.3f}  "
              f"(JIT µs/request before {' '.join(f'{x:.1f}' for x in jit['before'])}; "
              f"after {' '.join(f'{x:.1f}' for x in jit['after'])})")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(1))
    main()
