"""A real aster-rpc 0.1.2 producer for `aster call` (tests/interop/call_test.cpp): a Catalog
service at version 2 whose messages hold nested types, an enum, bytes, lists and an Optional
(all four patterns), plus Catalog version 1 with flat types and a session-scoped Counter (all
four patterns inside a session).

Usage: python call_producer.py <collections_dir>
Writes each service's collection as 0.1.2 publishes it (`build_collection`, the entries of the
blob collection behind the registry's `contracts/<cid>`) to
<collections_dir>/<Service>.v<N>/{contract.bin, manifest.json, types/<hash>.bin}, checks that
its contract_id is the one the server advertises, then prints one JSON line:
  {"ticket": "aster1...", "node_addr_b64": "...",
   "services": [{"name", "version", "contract_id", "collection"}, ...]}
and serves until stdin closes or SIGTERM.
"""
import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Optional

from aster import AsterServer
from aster.codec import wire_type
from aster.contract.identity import (ServiceContract, build_type_graph, canonical_xlang_bytes,
                                     compute_type_hash, resolve_with_cycles)
from aster.contract.publication import build_collection
from aster.decorators import bidi_stream, client_stream, rpc, server_stream, service
from aster.status import RpcError, StatusCode

from peer_lifetime import wait_until_stopped


class Kind(IntEnum):  # values differ from the ordinals (0, 1, 2) that travel in Fory
    TOOL = 1
    PART = 2
    KIT = 5


@wire_type("demo.catalog/Dimensions")
@dataclass
class Dimensions:
    width: float = 0.0
    height: float = 0.0


@wire_type("demo.catalog/Part")
@dataclass
class Part:
    sku: str = ""
    count: int = 0


@wire_type("demo.catalog/Item")
@dataclass
class Item:
    name: str = ""
    kind: Kind = Kind.TOOL
    blob: bytes = b""
    tags: list[str] = field(default_factory=list)
    dims: Dimensions = field(default_factory=Dimensions)
    parts: list[Part] = field(default_factory=list)
    note: Optional[str] = None


@wire_type("demo.catalog/ListRequest")
@dataclass
class ListRequest:
    item: Item = field(default_factory=Item)
    count: int = 0
    fail_at: int = -1


@wire_type("demo.catalog/FailRequest")
@dataclass
class FailRequest:
    code: int = 0
    message: str = ""


@service(name="Catalog", version=2)
class CatalogV2:
    @rpc
    async def echo(self, req: Item) -> Item:
        # Proves the producer decoded every field: each one comes back changed.
        return Item(name="echo:" + req.name, kind=Kind.KIT, blob=req.blob + b"\x00\xff",
                    tags=req.tags + ["seen"],
                    dims=Dimensions(width=req.dims.width * 2, height=req.dims.height * 2),
                    parts=req.parts + [Part(sku="extra", count=len(req.parts))],
                    note=None if req.note is None else req.note.upper())

    @server_stream
    async def list(self, req: ListRequest) -> AsyncIterator[Item]:
        for i in range(req.count):
            if i == req.fail_at:
                raise RpcError(StatusCode.FAILED_PRECONDITION, f"failed at {i}")
            yield Item(name=f"{req.item.name}-{i}", kind=Kind.PART, blob=bytes([i % 256]),
                       parts=[Part(sku="p", count=i)])

    @rpc
    async def fail(self, req: FailRequest) -> Item:
        raise RpcError(StatusCode(req.code), req.message)

    @client_stream()
    async def collect(self, parts: AsyncIterator[Part]) -> Item:
        got = [p async for p in parts]
        return Item(name=f"collected {len(got)}", kind=Kind.KIT, parts=got, blob=bytes([len(got) % 256]))

    @bidi_stream()
    async def shout(self, parts: AsyncIterator[Part]) -> AsyncIterator[Part]:
        async for p in parts:
            if p.count < 0:
                raise RpcError(StatusCode.OUT_OF_RANGE, f"negative count for {p.sku}")
            yield Part(sku=p.sku.upper(), count=p.count * 10)


@wire_type("demo.catalog.v1/Greeting")
@dataclass
class Greeting:
    name: str = ""
    times: int = 1


@wire_type("demo.catalog.v1/Reply")
@dataclass
class Reply:
    text: str = ""


@service(name="Catalog", version=1)
class CatalogV1:
    @rpc
    async def greet(self, req: Greeting) -> Reply:
        return Reply(text=" ".join([f"hello {req.name}"] * req.times))

    @server_stream
    async def count(self, req: Greeting) -> AsyncIterator[Reply]:
        for i in range(req.times):
            yield Reply(text=f"{req.name} {i}")

    @server_stream
    async def ticks(self, req: Greeting) -> AsyncIterator[Reply]:
        # A slow stream, for cancelling one from the shell (tests/shell/test_shell.py).
        for i in range(req.times):
            await asyncio.sleep(0.1)
            yield Reply(text=f"tick {i}")


@service(name="Counter", version=1, scoped="session")
class Counter:
    def __init__(self, peer: str | None = None) -> None:
        self.total = 0

    @rpc
    async def add(self, req: Greeting) -> Reply:
        self.total += req.times
        return Reply(text=str(self.total))

    # Every other pattern inside a session, for `aster call`'s one-shot sessions and the
    # shell's `session Counter` (split bidi input/output).
    @server_stream
    async def upto(self, req: Greeting) -> AsyncIterator[Reply]:
        for i in range(req.times):
            yield Reply(text=f"{req.name} {self.total + i}")

    @client_stream()
    async def add_all(self, reqs: AsyncIterator[Greeting]) -> Reply:
        async for r in reqs:
            self.total += r.times
        return Reply(text=str(self.total))

    @bidi_stream()
    async def running(self, reqs: AsyncIterator[Greeting]) -> AsyncIterator[Reply]:
        async for r in reqs:
            if r.times < 0:
                raise RpcError(StatusCode.OUT_OF_RANGE, f"negative times for {r.name}")
            self.total += r.times
            yield Reply(text=f"{r.name}={self.total}")


SERVICES = [CatalogV2, CatalogV1, Counter]


def publish(svc_class, out_dir):
    """The collection _publish_contracts builds for this service (same functions, same order)."""
    info = svc_class.__aster_service_info__
    roots = []
    for mi in info.methods.values():
        roots += [mi.request_type, mi.response_type]
    type_defs = resolve_with_cycles(build_type_graph(roots))
    hashes = {fqn: compute_type_hash(canonical_xlang_bytes(td)) for fqn, td in type_defs.items()}
    contract = ServiceContract.from_service_info(info, hashes)
    sdir = os.path.join(out_dir, f"{info.name}.v{info.version}")
    os.makedirs(os.path.join(sdir, "types"), exist_ok=True)
    for name, data in build_collection(contract, type_defs, service_info=info):
        with open(os.path.join(sdir, name), "wb") as f:
            f.write(data)
    return info.name, info.version, sdir


async def main(out_dir) -> None:
    published = {}
    for svc_class in SERVICES:
        name, version, sdir = publish(svc_class, out_dir)
        published[(name, version)] = sdir
    async with AsterServer(services=[cls() for cls in SERVICES]) as srv:
        services = []
        for s in getattr(srv, "_service_summaries", []):
            sdir = published[(s.name, s.version)]
            with open(os.path.join(sdir, "manifest.json")) as f:
                assert json.load(f)["contract_id"] == s.contract_id, (s.name, s.version)
            services.append({"name": s.name, "version": s.version,
                             "contract_id": s.contract_id, "collection": sdir})
        print(json.dumps({"ticket": srv.address, "node_addr_b64": srv.endpoint_addr_b64,
                          "services": services}), flush=True)
        await wait_until_stopped()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
