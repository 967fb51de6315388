"""pyfory 0.16.0 side of bench/codec: the same three messages, timed in-process.

Prints one JSON object: {"small": {"encode_ns": .., "decode_ns": .., "bytes": ..}, ...}.
"""

import dataclasses
import json
import sys
import time
from typing import Dict, List

import pyfory


@dataclasses.dataclass
class Small:
    name: str = ""
    id: int = 0


@dataclasses.dataclass
class Item:
    name: str = ""
    qty: int = 0
    price: float = 0.0
    tags: List[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Medium:
    title: str = ""
    id: int = 0
    score: float = 0.0
    active: bool = False
    items: List[Item] = dataclasses.field(default_factory=list)
    attrs: Dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Large:
    blob: bytes = b""
    values: List[int] = dataclasses.field(default_factory=list)


def messages():
    small = Small("world", 42)
    medium = Medium(
        "quarterly report",
        123456789,
        98.5,
        True,
        [Item(f"item-{i}", i * 3, i * 1.25, ["red", "large", f"t{i}"]) for i in range(10)],
        {f"key{i}": f"value-{i}" for i in range(8)},
    )
    large = Large(bytes(i % 251 for i in range(1 << 20)), list(range(10000)))
    return {"small": small, "medium": medium, "large": large}


def timeit(fn, min_seconds=0.3):
    n, elapsed = 1, 0
    while True:
        t0 = time.perf_counter_ns()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter_ns() - t0
        if elapsed >= min_seconds * 1e9:
            return elapsed / n
        n *= 2


def main():
    f = pyfory.Fory(xlang=True)
    for cls in (Small, Item, Medium, Large):
        f.register_type(cls, namespace="bench", typename=cls.__name__)
    out = {}
    for name, msg in messages().items():
        data = f.serialize(msg)
        out[name] = {
            "encode_ns": timeit(lambda: f.serialize(msg)),
            "decode_ns": timeit(lambda: f.deserialize(data)),
            "bytes": len(data),
            "hex_prefix": data[:64].hex(),
        }
    if len(sys.argv) > 1:
        with open(sys.argv[1], "wb") as fh:
            fh.write(f.serialize(messages()["medium"]))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
