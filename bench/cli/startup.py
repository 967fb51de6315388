#!/usr/bin/env python3
"""Cold start of the `aster` tool vs aster-cli 0.1.2 (issue 11's benchmark): each command is
started afresh N times, alternating ours and 0.1.2's, and the table shows the median and the
fastest wall time of each, and the ratio of the medians.

  bench/cli/startup.py [--aster build/release/cli/aster] [--venv ~/.cache/aster/venv-aster-0.1.2]
                       [--runs 15] [--addr ADDR] [--json]

Rows:
  help         `aster --help`
  shell-demo   `aster shell --demo` to its first prompt and out: stdin is the line `exit`
               (piped stdin is 0.1.2's scripting interface; the welcome panel is printed, the
               REPL reads `exit`, the process ends)
  service-ls   with --addr: our `aster service ls ADDR` vs 0.1.2's nearest equivalent, its shell
               listing services: `aster shell ADDR` with stdin `ls /services` (0.1.2 does not
               ship `aster service ls`). Run it inside scripts/netns-run with a local producer.
Nothing here is a test: ctest never asserts these timings.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))


def timed(argv, stdin, env):
    t0 = time.perf_counter()
    r = subprocess.run(argv, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       env=env, text=True)
    elapsed = (time.perf_counter() - t0) * 1000
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {r.returncode}: {r.stderr.strip()}")
    return elapsed


def main():
    default_aster = os.path.join(SOURCE, "build/release/cli/aster")
    if not os.path.exists(default_aster):
        default_aster = os.path.join(SOURCE, "build/default/cli/aster")
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--aster", default=default_aster)
    p.add_argument("--venv", default=os.path.expanduser("~/.cache/aster/venv-aster-0.1.2"))
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--addr", help="a local producer for the service-ls row")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    theirs = os.path.join(args.venv, "bin/aster")
    env = dict(os.environ, ASTER_RELAY_MODE="disabled", NO_COLOR="1")
    home = os.path.join("/tmp", f"aster-startup-home-{os.getpid()}")
    os.makedirs(home, exist_ok=True)
    env["HOME"] = home  # no shell history or guided tour from the user's own home
    rows = [
        ("help", [args.aster, "--help"], [theirs, "--help"], None),
        ("shell-demo", [args.aster, "shell", "--demo"], [theirs, "shell", "--demo"], "exit\n"),
    ]
    if args.addr:
        rows.append(("service-ls", [args.aster, "service", "ls", args.addr],
                     [theirs, "shell", args.addr], "ls /services\nexit\n"))
    results = []
    for name, ours_argv, theirs_argv, stdin in rows:
        ours, ref = [], []
        timed(ours_argv, stdin, env)  # warm the page cache once for each
        timed(theirs_argv, stdin, env)
        for _ in range(args.runs):
            ours.append(timed(ours_argv, stdin, env))
            ref.append(timed(theirs_argv, stdin, env))
        results.append({
            "row": name,
            "ours_median_ms": statistics.median(ours), "ours_min_ms": min(ours),
            "aster_cli_012_median_ms": statistics.median(ref), "aster_cli_012_min_ms": min(ref),
            "ratio": statistics.median(ref) / statistics.median(ours),
        })
    load = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"aster": args.aster, "runs": args.runs, "load1": load,
                          "rows": results}, indent=2))
        return
    print(f"aster: {args.aster}   runs: {args.runs}   load average (1 min): {load:.2f}")
    print(f"{'row':<12} {'ours median':>12} {'ours min':>9} {'0.1.2 median':>13} "
          f"{'0.1.2 min':>10} {'0.1.2 / ours':>13}")
    for r in results:
        print(f"{r['row']:<12} {r['ours_median_ms']:>10.1f}ms {r['ours_min_ms']:>7.1f}ms "
              f"{r['aster_cli_012_median_ms']:>11.1f}ms {r['aster_cli_012_min_ms']:>8.1f}ms "
              f"{r['ratio']:>12.1f}x")


if __name__ == "__main__":
    main()
