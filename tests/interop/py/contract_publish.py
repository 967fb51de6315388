"""Computes, for each twin service, what an aster-rpc 0.1.2 producer publishes: the
contract_id and the exact manifest.json bytes, by calling the same functions as
`AsterServer._publish_contracts` (aster/runtime.py) — build_type_graph, resolve_with_cycles,
ServiceContract.from_service_info, build_collection — without a network.

Usage: python contract_publish.py <out_dir>
Writes <out_dir>/<Service>.manifest.json, <out_dir>/<Service>/types/<hash>.bin and prints a
JSON summary {service: {contract_id, type_hashes, contract_hex}} on stdout.
Exits non-zero (loudly) if any method hashes to zero bytes or a type resolved to no fields,
i.e. if Python silently hashed an empty/unresolved type (PEP 563 trap, see aster_twins_pep563.py).
"""
import json
import os
import sys
import dataclasses

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import __future__
import importlib

aster_twins = importlib.import_module(os.environ.get("ASTER_TWINS_MODULE", "aster_twins"))
from aster.contract.identity import (
    ServiceContract, build_type_graph, canonical_xlang_bytes, resolve_with_cycles,
    compute_type_hash,
)
from aster.contract.publication import build_collection

ZERO = b"\x00" * 32


def fail(msg):
    print(f"contract_publish.py: {msg}", file=sys.stderr)
    sys.exit(2)


def main(out_dir):
    if getattr(aster_twins, "annotations", None) is __future__.annotations:
        fail("aster_twins uses `from __future__ import annotations`: 0.1.2 would hash "
             "response types as zero bytes")
    summary = {}
    for svc in aster_twins.SERVICES:
        info = svc.__aster_service_info__
        roots = []
        for mi in info.methods.values():
            for t in (mi.request_type, mi.response_type):
                if t is None or isinstance(t, str):
                    fail(f"{info.name}.{mi.name}: unresolved type {t!r}")
                roots.append(t)
        type_defs = resolve_with_cycles(build_type_graph(roots))
        hashes = {fqn: compute_type_hash(canonical_xlang_bytes(td))
                  for fqn, td in type_defs.items()}
        for fqn, td in type_defs.items():
            cls = build_type_graph(roots)[fqn]
            if len(td.fields) != len(dataclasses.fields(cls)) or not td.fields:
                fail(f"{fqn}: TypeDef has {len(td.fields)} fields — empty/unresolved type")
        contract = ServiceContract.from_service_info(info, hashes)
        for md in contract.methods:
            if md.request_type == ZERO or md.response_type == ZERO:
                fail(f"{info.name}.{md.name}: a type hashed to 32 zero bytes")
        contract_bytes = canonical_xlang_bytes(contract)
        entries = build_collection(contract, type_defs, service_info=info)
        names = dict(entries)
        with open(os.path.join(out_dir, f"{info.name}.manifest.json"), "wb") as f:
            f.write(names["manifest.json"])
        tdir = os.path.join(out_dir, info.name, "types")
        os.makedirs(tdir, exist_ok=True)
        for name, data in entries:
            if name.startswith("types/"):
                with open(os.path.join(out_dir, info.name, name), "wb") as f:
                    f.write(data)
        summary[info.name] = {
            "contract_id": json.loads(names["manifest.json"])["contract_id"],
            "contract_hex": contract_bytes.hex(),
            "type_hashes": sorted(h.hex() for h in hashes.values()),
        }
    json.dump(summary, sys.stdout, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
