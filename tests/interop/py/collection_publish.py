"""Publishes the collection of each service of a module exactly as an aster-rpc 0.1.2 producer
does (`AsterServer._publish_contracts` → `build_collection`, aster/contract/publication.py) and
encodes the module's sample request/response values with 0.1.2's ForyCodec (pyfory 0.16.0).

Usage: python collection_publish.py <module> <out_dir>
Writes <out_dir>/<Service>/{contract.bin, manifest.json, types/<hash>.bin} — the entry names of
build_collection — and prints JSON on stdout:
  {"<Class>": {"service": <Service>, "hex": <pyfory bytes>, "json": <Python's view>}}
Python's view: dataclasses.asdict-like dict; enums as their value (json.dumps of an IntEnum),
bytes as base64, floats as floats — the codec's JSON conventions (docs/codec.md).
"""
import base64
import dataclasses
import enum
import importlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from aster.codec import ForyCodec
from aster.contract.identity import (ServiceContract, build_type_graph, canonical_xlang_bytes,
                                     compute_type_hash, resolve_with_cycles)
from aster.contract.publication import build_collection


def view(v):
    if dataclasses.is_dataclass(v):
        return {f.name: view(getattr(v, f.name)) for f in dataclasses.fields(v)}
    if isinstance(v, enum.Enum):
        return v.value
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(v).decode()
    if isinstance(v, (list, tuple)):
        return [view(x) for x in v]
    if isinstance(v, dict):
        return {k: view(x) for k, x in v.items()}
    return v


def main(module_name, out_dir):
    module = importlib.import_module(module_name)
    out = {}
    for svc in module.SERVICES:
        info = svc.__aster_service_info__
        roots = []
        for mi in info.methods.values():
            roots += [mi.request_type, mi.response_type]
        type_defs = resolve_with_cycles(build_type_graph(roots))
        hashes = {fqn: compute_type_hash(canonical_xlang_bytes(td))
                  for fqn, td in type_defs.items()}
        contract = ServiceContract.from_service_info(info, hashes)
        sdir = os.path.join(out_dir, info.name)
        os.makedirs(os.path.join(sdir, "types"), exist_ok=True)
        for name, data in build_collection(contract, type_defs, service_info=info):
            with open(os.path.join(sdir, name), "wb") as f:
                f.write(data)
        codec = ForyCodec(types=roots)
        for t in roots:
            sample = module.SAMPLES[t.__name__]
            data = codec.encode(sample)
            assert codec.decode(data, t) == sample, t
            out[t.__name__] = {"service": info.name, "hex": data.hex(), "json": view(sample)}
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
