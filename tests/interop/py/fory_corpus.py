"""Fory XLANG interop corpus for Aster C++, written with pyfory 0.16.0 (aster-rpc 0.1.2's pin).

    python fory_corpus.py generate DIR   # DIR/index.json, DIR/<name>.fory, DIR/<name>.json
    python fory_corpus.py check DIR      # pyfory decodes DIR/<name>.cpp-*.fory == the sample

Types are registered the way aster-rpc 0.1.2's ForyCodec does it: a `@wire_type("ns/Name")`
tag split at the last '/', enums by module/qualname (here given explicitly), and
`pyfory.Fory(xlang=True)` with every other option at its default.

<name>.json holds the sample in Aster C++'s JSON conventions (docs/codec.md): bytes as base64,
enums by name, sets as arrays, non-finite floats as strings, dates/timestamps as ISO strings.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import enum
import json
import math
import os
import sys
from typing import Dict, List, Optional, Set

import pyfory
from pyfory import (
    fixed_int32,
    fixed_int64,
    fixed_uint32,
    fixed_uint64,
    float32,
    int8,
    int16,
    int32,
    int64,
    tagged_int64,
    tagged_uint64,
    uint8,
    uint16,
    uint32,
    uint64,
)

assert pyfory.__version__ == "0.16.0", pyfory.__version__

TYPES: list[tuple[type, str]] = []  # (class, "ns/Name")


def wire_type(tag):
    def deco(cls):
        TYPES.append((cls, tag))
        return cls

    return deco


class Color(enum.Enum):
    RED = 1
    GREEN = 2
    BLUE = 3


ENUMS = [(Color, "corpus.types/Color")]


@wire_type("corpus/Scalars")
@dataclasses.dataclass
class Scalars:
    flag: bool = False
    count: int = 0
    ratio: float = 0.0
    text: str = ""
    blob: bytes = b""


@wire_type("corpus/IntWidths")
@dataclasses.dataclass
class IntWidths:
    i8: int8 = 0
    i16: int16 = 0
    i32: int32 = 0
    fi32: fixed_int32 = 0
    i64: int64 = 0
    fi64: fixed_int64 = 0
    ti64: tagged_int64 = 0
    u8: uint8 = 0
    u16: uint16 = 0
    u32: uint32 = 0
    fu32: fixed_uint32 = 0
    u64: uint64 = 0
    fu64: fixed_uint64 = 0
    tu64: tagged_uint64 = 0
    f32: float32 = 0.0


@wire_type("corpus/Floats")
@dataclasses.dataclass
class Floats:
    a: float = 0.0
    b: float = 0.0
    c: float = 0.0
    d: float32 = 0.0


@wire_type("corpus/Texts")
@dataclasses.dataclass
class Texts:
    latin: str = ""
    bmp: str = ""
    astral: str = ""
    mixed: str = ""
    empty: str = ""


@wire_type("corpus/Inner")
@dataclasses.dataclass
class Inner:
    x: int = 0
    name: str = ""


@wire_type("corpus/Optionals")
@dataclasses.dataclass
class Optionals:
    oi: Optional[int] = None
    of: Optional[float] = None
    ob: Optional[bool] = None
    os: Optional[str] = None
    oby: Optional[bytes] = None
    ol: Optional[List[str]] = None
    oinner: Optional[Inner] = None
    ocolor: Optional[Color] = None


@wire_type("corpus/Collections")
@dataclasses.dataclass
class Collections:
    ints: List[int] = dataclasses.field(default_factory=list)
    strs: List[str] = dataclasses.field(default_factory=list)
    floats: List[float] = dataclasses.field(default_factory=list)
    blobs: List[bytes] = dataclasses.field(default_factory=list)
    maybe: List[Optional[str]] = dataclasses.field(default_factory=list)
    int_set: Set[int] = dataclasses.field(default_factory=set)
    str_set: Set[str] = dataclasses.field(default_factory=set)
    counts: Dict[str, int] = dataclasses.field(default_factory=dict)
    names: Dict[int, str] = dataclasses.field(default_factory=dict)
    sparse: Dict[str, Optional[int]] = dataclasses.field(default_factory=dict)
    nested: List[List[int]] = dataclasses.field(default_factory=list)
    groups: Dict[str, List[int]] = dataclasses.field(default_factory=dict)


@wire_type("corpus/Outer")
@dataclasses.dataclass
class Outer:
    inner: Inner = dataclasses.field(default_factory=Inner)
    inners: List[Inner] = dataclasses.field(default_factory=list)
    by_name: Dict[str, Inner] = dataclasses.field(default_factory=dict)
    opt: Optional[Inner] = None
    second: Inner = dataclasses.field(default_factory=Inner)
    color: Color = Color.RED
    colors: List[Color] = dataclasses.field(default_factory=list)
    label: str = ""


@wire_type("corpus/Node")
@dataclasses.dataclass
class Node:
    value: int = 0
    children: List["Node"] = dataclasses.field(default_factory=list)
    next: Optional["Node"] = None


@wire_type("corpus/Times")
@dataclasses.dataclass
class Times:
    day: datetime.date = datetime.date(1970, 1, 1)
    at: datetime.datetime = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


@wire_type("corpus/Empty")
@dataclasses.dataclass
class Empty:
    pass


@wire_type("examples.mission_control.types/LongNamespaceTypeName")
@dataclasses.dataclass
class LongNames:
    someFieldName: str = ""
    AnotherField: int = 0


@wire_type("NoNsLeaf")
@dataclasses.dataclass
class NoNsLeaf:
    v: int = 0


@wire_type("NoNsRoot")
@dataclasses.dataclass
class NoNsRoot:
    leaf: NoNsLeaf = dataclasses.field(default_factory=NoNsLeaf)
    other: Inner = dataclasses.field(default_factory=Inner)


@wire_type("corpus/Untyped")
@dataclasses.dataclass
class Untyped:
    items: list = dataclasses.field(default_factory=list)
    attrs: dict = dataclasses.field(default_factory=dict)


@wire_type("_aster/StreamHeader")
@dataclasses.dataclass
class StreamHeader:
    service: str = ""
    method: str = ""
    version: int = 0
    callId: str = ""
    deadlineEpochMs: int = 0
    serializationMode: int = 0
    metadataKeys: list[str] = dataclasses.field(default_factory=list)
    metadataValues: list[str] = dataclasses.field(default_factory=list)


@wire_type("_aster/RpcStatus")
@dataclasses.dataclass
class RpcStatus:
    code: int = 0
    message: str = ""
    detailKeys: list[str] = dataclasses.field(default_factory=list)
    detailValues: list[str] = dataclasses.field(default_factory=list)


def make_fory():
    f = pyfory.Fory(xlang=True)
    for cls, tag in ENUMS + TYPES:
        ns, _, name = tag.rpartition("/")
        f.register_type(cls, namespace=ns, typename=name)
    return f


def chain(depth):
    node = None
    for i in range(depth):
        node = Node(value=i, next=node)
    return node


I64_MIN, I64_MAX = -(2**63), 2**63 - 1
UTC = datetime.timezone.utc

SAMPLES = [
    ("scalars_zero", Scalars()),
    ("scalars_basic", Scalars(True, 42, 3.25, "hello", b"\x00\x01\xff")),
    ("scalars_int_min", Scalars(count=I64_MIN, text="min")),
    ("scalars_int_max", Scalars(count=I64_MAX, ratio=-1e300)),
    ("scalars_big_bytes", Scalars(blob=bytes(range(256)) * 40, text="x" * 300)),
    ("ints_zero", IntWidths()),
    ("ints_min", IntWidths(-128, -32768, -(2**31), -(2**31), I64_MIN, I64_MIN, I64_MIN, 0, 0, 0, 0, 0, 0, 0, -3.4028234663852886e38)),
    ("ints_max", IntWidths(127, 32767, 2**31 - 1, 2**31 - 1, I64_MAX, I64_MAX, I64_MAX, 255, 65535, 2**32 - 1, 2**32 - 1, 2**64 - 1, 2**64 - 1, 2**64 - 1, 3.4028234663852886e38)),
    ("ints_tagged_edges", IntWidths(ti64=2**30 - 1, tu64=2**30 - 1, i32=-1, u32=128, u64=2**56, f32=0.5)),
    ("ints_tagged_long", IntWidths(ti64=-(2**30) - 1, tu64=2**30, fi64=-1, fu64=1)),
    ("ints_tagged_uint_edges", IntWidths(ti64=2**30, tu64=2**31 - 1, u16=1)),
    ("ints_tagged_uint_long", IntWidths(tu64=2**31, ti64=-(2**30))),
    ("floats_special", Floats(float("nan"), float("inf"), float("-inf"), -0.0)),
    ("floats_small", Floats(5e-324, 1e-310, 2.2250738585072014e-308, 1.401298464324817e-45)),
    ("texts_kinds", Texts("héllo wörld ÿ", "日本語テキスト", "😀 grin 𝄞", "aé日😀", "")),
    ("texts_long_bmp", Texts(bmp="中" * 500, latin="\u00ff" * 200)),
    ("texts_control", Texts(latin="tab\tnl\nnul\x00quote\"back\\", mixed="\u2028\u2029\ufeff")),
    ("optionals_none", Optionals()),
    ("optionals_set", Optionals(7, -0.5, False, "", b"", [], Inner(1, "i"), Color.BLUE)),
    ("optionals_values", Optionals(I64_MIN, float("inf"), True, "日本", b"\xff", ["a", "b"], Inner(-5, "😀"), Color.RED)),
    ("collections_empty", Collections()),
    ("collections_full", Collections([1, -1, I64_MAX], ["a", "é", "日", "😀"], [0.0, -0.0, 1.5], [b"", b"\x00"], ["x", None, "y"], {3, 1, 2}, {"one"}, {"a": 1, "b": 2}, {1: "one", -2: "two"}, {"k": None, "v": 5}, [[], [1], [2, 3]], {"g": [1, 2], "h": []})),
    ("collections_all_null", Collections(maybe=[None, None], sparse={"a": None})),
    ("collections_set_strings", Collections(str_set={"alpha", "beta", "gamma", "delta"})),
    ("collections_big", Collections(ints=list(range(-500, 500)), counts={f"k{i:03d}": i for i in range(300)})),
    ("outer_basic", Outer(Inner(1, "a"), [Inner(2, "b"), Inner(3, "c")], {"x": Inner(4, "d")}, None, Inner(5, "e"), Color.GREEN, [Color.BLUE, Color.RED], "lbl")),
    ("outer_opt", Outer(opt=Inner(9, "opt"), colors=[], label="é")),
    ("outer_many_inners", Outer(inners=[Inner(i, str(i)) for i in range(40)])),
    ("node_leaf", Node(1)),
    ("node_tree", Node(1, [Node(2, [Node(4)]), Node(3)], Node(5, [], Node(6)))),
    ("node_deep", chain(20)),
    ("times", Times(datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC))),
    ("times_old", Times(datetime.date(1900, 3, 1), datetime.datetime(1960, 6, 7, 8, 9, 10, 1, tzinfo=UTC))),
    ("empty", Empty()),
    ("long_names", LongNames("v", -3)),
    ("no_namespace", NoNsRoot(NoNsLeaf(8), Inner(2, "n"))),
    ("untyped", Untyped(["a", "b"], {"env": "prod"})),
    ("untyped_mixed", Untyped(["a", 1, None, 2.5, True], {"a": 1, "b": "x", "c": None})),
    ("untyped_empty", Untyped([], {})),
    ("stream_header_unicode", StreamHeader("Svc", "méthode", 1, "c-1", 1712764800000, 0, ["k", "日本"], ["v", "😀"])),
    ("rpc_status_detail", RpcStatus(13, "boom: ü", ["a", "b"], ["1", "2"])),
]

UNORDERED = {"collections_full", "collections_set_strings"}  # sets of str: per-process order


def to_json(v):
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    if isinstance(v, enum.Enum):
        return v.name
    if isinstance(v, datetime.datetime):
        return v.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, (list, tuple, set)):
        return [to_json(x) for x in v]
    if isinstance(v, dict):
        return {(k if isinstance(k, str) else json.dumps(to_json(k))): to_json(x) for k, x in v.items()}
    if dataclasses.is_dataclass(v):
        return {f.name: to_json(getattr(v, f.name)) for f in dataclasses.fields(v)}
    raise TypeError(type(v))


def deep_eq(a, b):
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) and math.isnan(b):
            return True
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if dataclasses.is_dataclass(a):
        return type(a) is type(b) and all(deep_eq(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(deep_eq(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(deep_eq(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def generate(out):
    os.makedirs(out, exist_ok=True)
    f = make_fory()
    index = []
    for name, sample in SAMPLES:
        data = f.serialize(sample)
        back = f.deserialize(data)
        assert deep_eq(sample, back), name
        with open(os.path.join(out, name + ".fory"), "wb") as fh:
            fh.write(data)
        with open(os.path.join(out, name + ".json"), "w") as fh:
            json.dump(to_json(sample), fh, ensure_ascii=False)
        tag = dict((c, t) for c, t in TYPES)[type(sample)]
        index.append({"name": name, "type": tag, "unordered": name in UNORDERED})
    with open(os.path.join(out, "index.json"), "w") as fh:
        json.dump(index, fh, indent=1)
    print(f"wrote {len(index)} samples to {out}")


def check(out):
    f = make_fory()
    samples = dict(SAMPLES)
    failures, checked = [], 0
    for entry in sorted(os.listdir(out)):
        if ".cpp-" not in entry:
            continue
        name = entry.split(".cpp-")[0]
        with open(os.path.join(out, entry), "rb") as fh:
            data = fh.read()
        try:
            got = f.deserialize(data)
        except Exception as e:  # noqa: BLE001
            failures.append(f"{entry}: pyfory cannot decode: {type(e).__name__}: {e}")
            continue
        checked += 1
        if not deep_eq(samples[name], got):
            failures.append(f"{entry}: decoded {got!r} != {samples[name]!r}")
    for line in failures:
        print("FAIL", line)
    print(f"checked {checked} C++-written files, {len(failures)} failures")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    cmd, out = sys.argv[1], sys.argv[2]
    sys.exit(generate(out) if cmd == "generate" else check(out))
