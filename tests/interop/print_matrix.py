#!/usr/bin/env python3
"""Prints the RPC interop matrix collected over a ctest run (interop_matrix.cpp appends one
`pattern | direction | case | result` line per row to $ASTER_INTEROP_MATRIX_FILE): one
markdown table, rows deduplicated (a FAIL anywhere wins), then pass counts per pattern and
direction. Exit status 1 when any row failed.
Usage: print_matrix.py FILE"""
import collections
import sys


def main(path):
    rows = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = [p.strip() for p in line.rstrip("\n").split(" | ")]
                if len(parts) != 4:
                    continue
                key = tuple(parts[:3])
                rows[key] = "FAIL" if rows.get(key) == "FAIL" else parts[3]
    except FileNotFoundError:
        print(f"(no interop matrix at {path}: were the interop tests run?)")
        return 0
    print("\n## RPC interop matrix (pattern × direction × case)\n")
    print("| pattern | direction | case | result |\n|---|---|---|---|")
    for key in sorted(rows):
        print(f"| {' | '.join(key)} | {rows[key]} |")
    totals = collections.OrderedDict()
    for (pattern, direction, _), result in sorted(rows.items()):
        t = totals.setdefault((pattern, direction), [0, 0])
        t[0] += result == "pass"
        t[1] += 1
    print("\n| pattern | direction | passed |\n|---|---|---:|")
    for (pattern, direction), (ok, n) in totals.items():
        print(f"| {pattern} | {direction} | {ok}/{n} |")
    failed = sum(1 for r in rows.values() if r != "pass")
    print(f"\n{len(rows)} rows, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
