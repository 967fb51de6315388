#!/usr/bin/env python3
"""bench/rpc: one benchmark run over every pair, in interleaved rounds, medians, one markdown
table (or --json). See bench/README.md for what each row means.

    bench/rpc/run.py [--build build/release] [--rounds 3] [--seconds 2] [--json] [--rows a,b]
                     [--shape shared|current] [--smoke] [--upstream DIR] [--mc-producer PATH]
                     [--render FILE]

Runs itself inside scripts/netns-run (loopback only). Rows (keys for --rows):
  cpp-cpp        C++ consumer -> C++ producer, two processes (aster_rpc_bench client / serve)
  cpp-cpp-1proc  the same in one process on one runtime (aster_rpc_bench local), the shape of
                 bench/transport
  py-py          Python 0.1.2 consumer -> Python 0.1.2 producer (rpc_bench.py)
  cpp-py         C++ consumer -> Python 0.1.2 producer
  py-cpp         Python 0.1.2 consumer -> C++ producer
  grpc           gRPC C++ 1.51 client -> server, TLS, callback API (aster_grpc_bench)
  transport      bench/transport's bridge figures (aster_transport_bench --json --rounds 1):
                 client and echo server in one process, like cpp-cpp-1proc (adds raw-iroh)
  transport-2proc  the same echo with the server in a process of its own
                 (aster_transport_bench --serve / --connect), like cpp-cpp
  mc-upstream    upstream's mission_control/benchmark.py -> upstream's Python server (0.1.2)
  mc-ours        the same benchmark.py -> our C++ mission_control producer (when built)
"""
import argparse
import json
import os
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# aster-rpc's examples/python/mission_control at 0972ac9 (0.1.2), vendored unchanged.
UPSTREAM_DIR = os.path.join(SOURCE_DIR, "tests/interop/upstream")
DEFAULT_VENV = os.path.expanduser("~/.cache/aster/venv-aster-0.1.2")

LABELS = {
    "cpp-cpp": "C++ ↔ C++ (two processes)",
    "cpp-cpp-1proc": "C++ ↔ C++ (one process)",
    "py-py": "Python 0.1.2 ↔ Python 0.1.2",
    "cpp-py": "C++ consumer → Python 0.1.2 producer",
    "py-cpp": "Python 0.1.2 consumer → C++ producer",
    "grpc": "gRPC C++ 1.51, TLS (callback API)",
    "transport": "bench/transport: stream-per-request echo (bridge, one process)",
    "transport-2proc": "bench/transport: stream-per-request echo (bridge, two processes)",
    "raw-iroh": "bench/transport: raw iroh in Rust (same run)",
    "mc-upstream": "benchmark.py → upstream Python server",
    "mc-ours": "benchmark.py → our C++ mission_control producer",
}
RPC_ROWS = ["cpp-cpp", "cpp-cpp-1proc", "py-py", "cpp-py", "py-cpp", "grpc", "transport",
            "transport-2proc"]
ECHO_ROWS = ("transport", "transport-2proc", "raw-iroh")
MC_ROWS = ["mc-upstream", "mc-ours"]


class RowFailed(Exception):
    pass


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class Producer:
    """A producer process: started with stdin held open, ready when it prints its first line
    on stdout that `ready` accepts; stopped by closing stdin, then SIGTERM, then SIGKILL."""

    def __init__(self, argv, env, cwd=None, ready=lambda line: line.strip(), timeout=60,
                 log_path=None):
        self.log = open(log_path, "ab") if log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, env=env, cwd=cwd, start_new_session=True)
        deadline = time.monotonic() + timeout
        buf = b""
        self.value = None
        while self.value is None:
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop()
                raise RowFailed(f"{argv[0]}: not ready after {timeout}s")
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if not r:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                self.stop()
                raise RowFailed(f"{' '.join(argv[:3])}: exited before it was ready")
            buf += chunk
            while b"\n" in buf and self.value is None:
                line, buf = buf.split(b"\n", 1)
                self.value = ready(line.decode(errors="replace")) or None

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:  # ours and rpc_bench.py stop at EOF; upstream's server needs SIGTERM
                self.proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait()
        if self.log is not subprocess.DEVNULL:
            self.log.close()


def json_key(key):
    def ready(line):
        try:
            return json.loads(line).get(key)
        except (ValueError, AttributeError):
            return None
    return ready


def run_client(argv, env, timeout, cwd=None):
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=env, cwd=cwd,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RowFailed(f"{os.path.basename(argv[0])} client: timed out after {timeout}s")
    out = p.stdout.decode(errors="replace")
    return p.returncode, out, p.stderr.decode(errors="replace")


def parse_figures(argv, rc, out, err):
    lines = [l for l in out.splitlines() if l.startswith("{")]
    if not lines:
        raise RowFailed(f"{os.path.basename(argv[0])}: no result (rc {rc}): {err.strip()[-300:]}")
    fig = json.loads(lines[-1])
    if fig.get("errors"):
        raise RowFailed(f"{fig['errors']} failed calls, first: {fig.get('first_error')}")
    return {"unary1_rps": fig["unary1"]["rps"], "unary1_p50_us": fig["unary1"]["p50_us"],
            "unary1_p99_us": fig["unary1"]["p99_us"], "unary64_rps": fig["unary64"]["rps"],
            "unary64_p50_us": fig["unary64"]["p50_us"], "unary64_p99_us": fig["unary64"]["p99_us"],
            "stream_msgs_per_s": fig["stream_msgs_per_s"], "bulk_mbps": fig["bulk_mbps"]}


def echo_figures(f):
    """bench/transport's figures as table metrics: rtt is a 64-byte ping-pong on one stream,
    rtt_stream one request per stream at a time (as a unary call), rps_64 one stream per
    request with 64 in flight."""
    out = {"rtt_p50_us": f["rtt_p50_us"], "rtt_p99_us": f["rtt_p99_us"],
           "unary64_rps": f["rps_64"], "bulk_mbps": f["bulk_mbps"]}
    if "rtt_stream_p50_us" in f:
        out["rtt_stream_p50_us"] = f["rtt_stream_p50_us"]
    return out


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.python = os.path.join(args.venv, "bin", "python")
        self.env = dict(os.environ, ASTER_RELAY_MODE="disabled", PYTHONUNBUFFERED="1")
        self.tmp = tempfile.mkdtemp(prefix="aster-rpc-bench-")
        self.cpp = os.path.join(self.build, "bench/rpc/aster_rpc_bench")
        self.grpc = os.path.join(self.build, "bench/rpc/aster_grpc_bench")
        self.transport = os.path.join(self.build, "bench/transport/aster_transport_bench")
        self.py_bench = os.path.join(SOURCE_DIR, "bench/rpc/rpc_bench.py")
        self.client_opts = ["--seconds", str(args.seconds), "--stream-items",
                            str(args.stream_items), "--bulk-kib", str(args.bulk_kib),
                            "--bulk-in-flight", str(args.bulk_in_flight)]
        # The bridge's thread shape for our C++ processes and the transport row.
        self.shape_opts = ["--shape", args.shape]
        # Generous: four phases of `seconds` plus start-up; Python imports take seconds.
        self.timeout = 60 + 8 * args.seconds
        self.cert = self.key = None

    def log_path(self, name):
        return os.path.join(self.tmp, name + ".log")

    def cpp_producer(self):
        return Producer([self.cpp, "serve"] + self.shape_opts, self.env, ready=json_key("address"),
                        log_path=self.log_path("cpp-producer"))

    def py_producer(self):
        return Producer([self.python, self.py_bench, "serve"], self.env,
                        ready=json_key("address"), log_path=self.log_path("py-producer"))

    def cpp_client(self, address):
        argv = [self.cpp, "client", address] + self.client_opts + self.shape_opts
        return parse_figures(argv, *run_client(argv, self.env, self.timeout))

    def py_client(self, address):
        argv = [self.python, self.py_bench, "client", address] + self.client_opts
        return parse_figures(argv, *run_client(argv, self.env, self.timeout))

    def pair(self, producer, client):
        p = producer()
        try:
            return client(p.value)
        finally:
            p.stop()

    def tls(self):
        if self.cert is None:
            self.cert = os.path.join(self.tmp, "cert.pem")
            self.key = os.path.join(self.tmp, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                            "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                            "-keyout", self.key, "-out", self.cert],
                           check=True, capture_output=True)
        return self.cert, self.key

    def row(self, key):
        """One round of one row: {metric: value}, or {"rows": {...}} for transport."""
        if key == "cpp-cpp":
            return self.pair(self.cpp_producer, self.cpp_client)
        if key == "cpp-cpp-1proc":
            argv = [self.cpp, "local"] + self.client_opts + self.shape_opts
            return parse_figures(argv, *run_client(argv, self.env, self.timeout))
        if key == "py-py":
            return self.pair(self.py_producer, self.py_client)
        if key == "cpp-py":
            return self.pair(self.py_producer, self.cpp_client)
        if key == "py-cpp":
            return self.pair(self.cpp_producer, self.py_client)
        if key == "grpc":
            if not os.path.exists(self.grpc):
                raise RowFailed("not built (gRPC C++ not found at configure time)")
            cert, key_pem = self.tls()
            p = Producer([self.grpc, "serve", "--cert", cert, "--key", key_pem], self.env,
                         ready=json_key("port"), log_path=self.log_path("grpc-server"))
            try:
                argv = [self.grpc, "client", str(p.value), "--cert", cert] + self.client_opts
                return parse_figures(argv, *run_client(argv, self.env, self.timeout))
            finally:
                p.stop()
        if key == "transport":
            argv = [self.transport, "--json", "--rounds", "1", "--requests",
                    str(self.args.transport_requests), "--bulk-mib", str(self.args.transport_mib)
                    ] + self.shape_opts
            rc, out, err = run_client(argv, self.env, 600)
            lines = [l for l in out.splitlines() if l.startswith("{")]
            if rc != 0 or not lines:
                raise RowFailed(f"aster_transport_bench rc {rc}: {err.strip()[-300:]}")
            t = json.loads(lines[-1])
            return {"rows": {"transport": echo_figures(t["bridge"]),
                             "raw-iroh": echo_figures(t["raw_iroh"])}}
        if key == "transport-2proc":
            server = Producer([self.transport, "--serve"] + self.shape_opts, self.env,
                              ready=json_key("address"), log_path=self.log_path("echo-server"))
            try:
                argv = [self.transport, "--connect", server.value, "--requests",
                        str(self.args.transport_requests), "--bulk-mib",
                        str(self.args.transport_mib)] + self.shape_opts
                rc, out, err = run_client(argv, self.env, 600)
            finally:
                server.stop()
            lines = [l for l in out.splitlines() if l.startswith("{")]
            if rc != 0 or not lines:
                raise RowFailed(f"aster_transport_bench --connect rc {rc}: {err.strip()[-300:]}")
            return echo_figures(json.loads(lines[-1]))
        if key in MC_ROWS:
            return self.mission_control(key)
        raise RowFailed(f"unknown row {key}")

    # ---- upstream mission_control benchmark.py ----------------------------------------------
    def mission_control(self, key):
        up = self.args.upstream
        if not up or not os.path.isdir(os.path.join(up, "examples/python/mission_control")):
            raise RowFailed(f"no upstream checkout at {up} (see --upstream)")
        env = dict(self.env, PYTHONPATH=up)
        if key == "mc-upstream":
            producer = Producer([self.python, "-m", "mission_control.server"], env,
                                cwd=os.path.join(up, "examples/python"),
                                ready=lambda l: l.strip() if l.startswith("aster1") else None,
                                log_path=self.log_path("mc-upstream-server"))
        else:
            exe = self.args.mc_producer
            if not exe or not os.path.exists(exe):
                raise RowFailed("not yet: no C++ mission_control producer in this build")
            def ticket(line):
                m = re.search(r"aster1\S+", line)
                return m.group(0) if m else None
            producer = Producer([exe], env, ready=ticket,
                                log_path=self.log_path("mc-ours-producer"))
        try:
            # As a module from the checkout's root: run as a script, its directory would come
            # first on sys.path and its types.py would shadow the standard library's `types`.
            argv = [self.python, "-m", "examples.python.mission_control.benchmark",
                    producer.value]
            rc, out, err = run_client(argv, env, 600, cwd=up)
        finally:
            producer.stop()
        if rc != 0:
            raise RowFailed(f"benchmark.py rc {rc}: {(err or out).strip()[-400:]}")
        return parse_benchmark_py(out)

    def run(self):
        rows = self.args.rows
        rounds = []
        for r in range(self.args.rounds):
            results = {}
            for key in rows:
                load = os.getloadavg()[0]
                t = time.monotonic()
                try:
                    fig = self.row(key)
                except (RowFailed, subprocess.SubprocessError, OSError, ValueError, KeyError) as e:
                    results[key] = {"error": str(e)}
                    log(f"round {r + 1}: {key}: FAILED: {e}")
                    continue
                if "rows" in fig:
                    for sub, f in fig["rows"].items():
                        results[sub] = dict(f, loadavg=load)
                else:
                    results[key] = dict(fig, loadavg=load)
                log(f"round {r + 1}: {key}: {time.monotonic() - t:.1f}s (load {load:.2f})")
            rounds.append(results)
        return rounds

    def close(self):
        if self.args.keep_logs:
            log(f"logs in {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def parse_benchmark_py(out):
    """The figures of upstream's benchmark.py text output (aster-rpc@0972ac9:
    examples/python/mission_control/benchmark.py): the dynamic proxy section, then the typed
    client section."""
    typed_at = out.find("Typed client")
    sections = {"proxy": out[:typed_at] if typed_at >= 0 else out,
                "typed": out[typed_at:] if typed_at >= 0 else ""}
    fig = {}
    num = r"([\d,]+)"
    for name, text in sections.items():
        m = re.search(r"Unary \(getStatus\)\s+" + num + r" req/s\s+p50=([\d.]+)ms\s+p90=([\d.]+)ms"
                      r"\s+p99=([\d.]+)ms", text)
        if m:
            fig[f"{name}_getStatus_rps"] = float(m.group(1).replace(",", ""))
            fig[f"{name}_getStatus_p50_us"] = float(m.group(2)) * 1000
            fig[f"{name}_getStatus_p99_us"] = float(m.group(4)) * 1000
        m = re.search(r"Unary \(submitLog\)\s+" + num + r" req/s", text)
        if m:
            fig[f"{name}_submitLog_rps"] = float(m.group(1).replace(",", ""))
        m = re.search(r"Concurrent \(100\)\s+" + num + r" req/s", text)
        if m:
            fig[f"{name}_concurrent100_rps"] = float(m.group(1).replace(",", ""))
    m = re.search(r"Client stream \(10,000\)\s+" + num + r" msg/s", out)
    if m:
        fig["client_stream_10k_msgs_per_s"] = float(m.group(1).replace(",", ""))
    if "proxy_getStatus_rps" not in fig:
        raise RowFailed("benchmark.py output not understood: " + out.strip()[-300:])
    return fig


def medians(rounds):
    """{row: {metric: median}} over the rounds where the row succeeded; errors kept."""
    keys = []
    for r in rounds:
        keys += [k for k in r if k not in keys]
    out = {}
    for k in keys:
        ok = [r[k] for r in rounds if k in r and "error" not in r[k]]
        if not ok:
            out[k] = {"error": next(r[k]["error"] for r in rounds if k in r), "rounds": 0}
            continue
        metrics = {m for f in ok for m in f}
        out[k] = {m: statistics.median([f[m] for f in ok if m in f]) for m in sorted(metrics)}
        out[k]["rounds"] = len(ok)
        errors = [r[k]["error"] for r in rounds if k in r and "error" in r[k]]
        if errors:
            out[k]["failed_rounds"] = errors
    return out


# Each C++ ↔ C++ row against the echo in its own process shape (like for like: a second process
# adds a second runtime and its threads on this 2-core VM), then the other shape for reference.
ECHO_BASELINES = {"cpp-cpp": ["transport-2proc", "transport"], "cpp-cpp-1proc": ["transport"]}


def goals(med):
    """The issue's goals (issue 10, "Benchmark") as ratios, for each C++ ↔ C++ row."""
    res = []
    for cpp, echoes in ECHO_BASELINES.items():
        c = med.get(cpp, {})
        if "unary64_rps" not in c:
            continue

        def ratio(name, num, den, want, higher=True):
            if not den:
                res.append({"row": cpp, "goal": name, "ratio": None, "want": want, "met": None})
                return
            x = num / den
            res.append({"row": cpp, "goal": name, "ratio": x, "want": want,
                        "met": x >= want if higher else x <= want})
        for echo in echoes:
            if "unary64_rps" not in med.get(echo, {}) and echo != echoes[0]:
                continue
            t = med.get(echo, {})
            shape = "two-process" if echo == "transport-2proc" else "one-process"
            ratio(f"unary 64 in flight ÷ {shape} stream-per-request echo req/s",
                  c["unary64_rps"], t.get("unary64_rps"), 0.8)
            ratio(f"unary 1 in flight p50 ÷ {shape} echo RTT p50", c["unary1_p50_us"],
                  t.get("rtt_p50_us"), 1.3, higher=False)
        ratio("unary 64 in flight ÷ gRPC C++ TLS req/s", c["unary64_rps"],
              med.get("grpc", {}).get("unary64_rps"), 1.0)
        ratio("unary 64 in flight ÷ Python 0.1.2 ↔ Python 0.1.2 req/s", c["unary64_rps"],
              med.get("py-py", {}).get("unary64_rps"), 50.0)
    return res


def fmt(v, unit=""):
    if v is None:
        return "—"
    if v >= 100:
        return f"{v:,.0f}{unit}"
    return f"{v:.1f}{unit}"


def markdown(args, med, goal_list, load_before, load_after):
    out = []
    out.append(f"medians of {args.rounds} interleaved round(s), {args.seconds:g} s per phase; "
               f"load average (1 min) {load_before:.2f} before, {load_after:.2f} after\n")
    out.append("| pair | unary ×1 req/s | ×1 p50 µs | ×1 p99 µs | unary ×64 req/s "
               "| ×64 p50 µs | ×64 p99 µs | server stream msgs/s | bulk MB/s | load |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for k in RPC_ROWS + ["raw-iroh"]:
        if k not in med:
            continue
        f = med[k]
        if "error" in f:
            out.append(f"| {LABELS[k]} | {f['error']} |||||||||")
            continue
        if k in ECHO_ROWS:
            cells = ["—", fmt(f.get("rtt_p50_us")) + " (RTT)",
                     fmt(f.get("rtt_p99_us")) + " (RTT)", fmt(f.get("unary64_rps")),
                     "—", "—", "—", fmt(f.get("bulk_mbps"))]
        else:
            cells = [fmt(f.get(m)) for m in ("unary1_rps", "unary1_p50_us", "unary1_p99_us",
                                             "unary64_rps", "unary64_p50_us", "unary64_p99_us",
                                             "stream_msgs_per_s", "bulk_mbps")]
        note = f" ({f['rounds']}/{args.rounds} rounds)" if f["rounds"] < args.rounds else ""
        out.append(f"| {LABELS[k]}{note} | " + " | ".join(cells) + f" | {f['loadavg']:.1f} |")
    mc = [k for k in MC_ROWS if k in med]
    if mc:
        out.append("\nupstream mission_control/benchmark.py "
                   "(its Python 0.1.2 client, unchanged):\n")
        out.append("| producer | proxy getStatus req/s | p50 µs | p99 µs "
                   "| typed getStatus req/s | typed submitLog req/s | typed 100 concurrent req/s "
                   "| client stream 10k msgs/s | load |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for k in mc:
            f = med[k]
            if "error" in f:
                out.append(f"| {LABELS[k]} | {f['error']} ||||||||")
                continue
            cells = [fmt(f.get(m)) for m in (
                "proxy_getStatus_rps", "proxy_getStatus_p50_us", "proxy_getStatus_p99_us",
                "typed_getStatus_rps", "typed_submitLog_rps", "typed_concurrent100_rps",
                "client_stream_10k_msgs_per_s")]
            out.append(f"| {LABELS[k]} | " + " | ".join(cells) + f" | {f['loadavg']:.1f} |")
    if goal_list:
        out.append("\ngoals (issue 10):\n")
        out.append("| C++ row | goal | ratio | want | met |")
        out.append("|---|---|---:|---:|---|")
        for g in goal_list:
            want = ("≥ " if "p50" not in g["goal"] else "≤ ") + f"{g['want']:g}×"
            r = "—" if g["ratio"] is None else f"{g['ratio']:.2f}×"
            met = "—" if g["met"] is None else ("yes" if g["met"] else "**no**")
            out.append(f"| {LABELS[g['row']]} | {g['goal']} | {r} | {want} | {met} |")
    # The goal's RTT is a ping-pong on one open stream; a unary call opens a stream, as the
    # echo's stream-per-request RTT does. Shown for reading the ×1 ratio, not a goal.
    refs = []
    for cpp, echoes in ECHO_BASELINES.items():
        c, t = med.get(cpp, {}), med.get(echoes[0], {})
        if c.get("unary1_p50_us") and t.get("rtt_stream_p50_us"):
            refs.append(f"{LABELS[cpp]}: unary ×1 p50 {fmt(c['unary1_p50_us'])} µs ÷ "
                        f"{fmt(t['rtt_stream_p50_us'])} µs = "
                        f"{c['unary1_p50_us'] / t['rtt_stream_p50_us']:.2f}×")
    if refs:
        out.append("\nthe echo's RTT p50 with one stream per request (as a unary call opens), "
                   "for reference: " + "; ".join(refs))
    return "\n".join(out)


def find_mc_producer(build):
    d = os.path.join(build, "examples/mission_control")
    if not os.path.isdir(d):
        return None
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        if os.path.isfile(p) and os.access(p, os.X_OK) and re.search(r"producer|server", name):
            return p
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--build", default=os.path.join(SOURCE_DIR, "build/release"))
    p.add_argument("--venv", default=os.environ.get("ASTER_REFERENCE_VENV", DEFAULT_VENV))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--shape", choices=["shared", "current"], default="shared",
                   help="the bridge's thread shape in our C++ processes and the transport row "
                        "(docs/transport.md \"Thread shape\"); shared is the library's default")
    p.add_argument("--seconds", type=float, default=2.0, help="length of each measured phase")
    p.add_argument("--stream-items", type=int, default=10000)
    p.add_argument("--bulk-kib", type=int, default=1024)
    p.add_argument("--bulk-in-flight", type=int, default=4)
    p.add_argument("--transport-requests", type=int, default=20000)
    p.add_argument("--transport-mib", type=int, default=256)
    p.add_argument("--rows", default=",".join(RPC_ROWS + MC_ROWS))
    p.add_argument("--upstream", default=UPSTREAM_DIR,
                   help="directory holding examples/python/mission_control of aster-rpc at "
                   "0972ac9 (default: the copy vendored in tests/interop/upstream)")
    p.add_argument("--mc-producer", help="our C++ mission_control producer (default: found in "
                   "<build>/examples/mission_control)")
    p.add_argument("--smoke", action="store_true",
                   help="tiny counts, one round: checks that every row still runs (ctest)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--render", metavar="FILE",
                   help="print the markdown tables of a saved --json output and exit")
    p.add_argument("--keep-logs", action="store_true")
    args = p.parse_args()
    args.build = os.path.abspath(args.build)
    if args.render:
        with open(args.render) as f:
            saved = json.load(f)
        args.rounds, args.seconds = saved["rounds"], saved["seconds"]
        print(markdown(args, saved["medians"], saved["goals"], saved["loadavg"]["before"],
                       saved["loadavg"]["after"]))
        return 0
    if args.smoke:
        args.rounds, args.seconds, args.stream_items = 1, 0.05, 50
        args.bulk_kib, args.transport_requests, args.transport_mib = 64, 200, 1
    rows_given = any(a == "--rows" or a.startswith("--rows=") for a in sys.argv[1:])
    if args.smoke and not rows_given:
        args.rows = ",".join(RPC_ROWS)  # benchmark.py has fixed counts (~20 s): not a smoke
    args.rows = [r for r in args.rows.split(",") if r]
    if args.mc_producer is None:
        args.mc_producer = find_mc_producer(args.build)

    if os.environ.get("ASTER_IN_NETNS") != "1":
        netns = os.path.join(SOURCE_DIR, "scripts/netns-run")
        os.execv(netns, [netns, sys.executable, os.path.abspath(__file__)] + sys.argv[1:])

    bench = Bench(args)
    load_before = os.getloadavg()[0]
    try:
        rounds = bench.run()
    finally:
        bench.close()
    load_after = os.getloadavg()[0]
    med = medians(rounds)
    goal_list = goals(med)
    failed = [k for k, f in med.items() if "error" in f]
    if args.json:
        print(json.dumps({"rounds": args.rounds, "seconds": args.seconds,
                          "settings": {"stream_items": args.stream_items,
                                       "bulk_kib": args.bulk_kib,
                                       "bulk_in_flight": args.bulk_in_flight,
                                       "transport_requests": args.transport_requests,
                                       "transport_mib": args.transport_mib},
                          "loadavg": {"before": load_before, "after": load_after},
                          "medians": med, "per_round": rounds, "goals": goal_list}, indent=1))
    else:
        print(markdown(args, med, goal_list, load_before, load_after))
    if args.smoke:
        # Rows that cannot run here (no gRPC, no upstream checkout, no mission_control
        # producer yet) are skipped; every other row must have run.
        hard = [k for k in failed
                if not re.search(r"not built|no upstream|not yet", med[k]["error"])]
        return 1 if hard else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
