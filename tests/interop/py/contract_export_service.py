"""Services for `aster contract gen` / `aster contract export` of aster-cli 0.1.2
(tests/interop/contract_export_test.cpp): Inventory v3 with nested messages, an IntEnum whose
values are not its ordinals, bytes, Optional, lists, a map, non-ASCII text in a default and a
method name, timeouts and idempotency, all four patterns; Ledger v1, session-scoped, declared
with two serialization modes. Imported by module path (`contract_export_service:Inventory`).
"""
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Optional

from aster.codec import wire_type
from aster.decorators import bidi_stream, client_stream, rpc, server_stream, service
from aster.rpc_types import SerializationMode


class Grade(IntEnum):
    LOW = 3
    MID = 7
    HIGH = 11


@wire_type("demo.inventory/Size")
@dataclass
class Size:
    width: float = 0.5
    height: float = 1e-05


@wire_type("demo.inventory/Part")
@dataclass
class Part:
    sku: str = ""
    grade: Grade = Grade.MID
    size: Size = field(default_factory=Size)


@wire_type("demo.inventory/Item")
@dataclass
class Item:
    name: str = "café ☕"
    parts: list[Part] = field(default_factory=list)
    labels: dict[str, int] = field(default_factory=dict)
    blob: bytes = b""
    note: Optional[str] = None
    main: Part = field(default_factory=Part)
    tags: list[str] = field(default_factory=list)


@wire_type("demo.inventory/Query")
@dataclass
class Query:
    prefix: str = ""
    limit: int = 10
    grade: Grade = Grade.LOW


@service(name="Inventory", version=3)
class Inventory:
    @rpc(timeout=2.5, idempotent=True)
    async def get(self, req: Query) -> Item:
        return Item()

    @server_stream
    async def scan(self, req: Query) -> AsyncIterator[Item]:
        yield Item()

    @client_stream()
    async def upload(self, items: AsyncIterator[Item]) -> Query:
        return Query()

    @bidi_stream(timeout=30.0)
    async def sync(self, items: AsyncIterator[Part]) -> AsyncIterator[Part]:
        async for p in items:
            yield p

    @rpc
    async def größe(self, req: Size) -> Size:
        return req


@wire_type("demo.ledger/Entry")
@dataclass
class Entry:
    amount: int = 0
    memo: str = ""


@service(name="Ledger", version=1, scoped="session",
         serialization=[SerializationMode.XLANG, SerializationMode.JSON])
class Ledger:
    def __init__(self, peer=None):
        self.total = 0

    @rpc
    async def add(self, req: Entry) -> Entry:
        self.total += req.amount
        return Entry(amount=self.total, memo=req.memo)


if __name__ == "__main__":
    # python contract_export_service.py OUT_DIR: each service's collection as a 0.1.2 producer
    # publishes it (OUT_DIR/<Service>.v<N>/{contract.bin, manifest.json, types/<hash>.bin}).
    import sys

    from call_producer import publish

    for svc in (Inventory, Ledger):
        publish(svc, sys.argv[1])
