"""A service written the ordinary aster-rpc 0.1.2 way: plain `@dataclass` types, no
`@wire_type`, so every type gets 0.1.2's default tag `shop.orders.<Name>` (namespace = module,
aster/codec.py `_auto_apply_wire_type`). Used by tests/interop/collection_test.cpp (issue 9).

Covers: a nested dataclass two levels deep (Order.total → Money → Currency), an IntEnum field
whose values are not its ordinals, a list of nested dataclasses, a dict str → nested dataclass,
an Optional nested dataclass, Optional[str], bytes, float, bool, list[str], dict[str, int],
non-Latin-1 text. No `from __future__ import annotations` (0.1.2 would hash zero bytes).
"""
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Optional

from aster import rpc, service


class Side(IntEnum):
    BUY = 1
    SELL = 2
    HOLD = 5


@dataclass
class Currency:
    code: str = ""
    digits: int = 2


@dataclass
class Money:
    units: int = 0
    nanos: int = 0
    currency: Currency = field(default_factory=Currency)


@dataclass
class Line:
    sku: str = ""
    qty: int = 0
    price: Money = field(default_factory=Money)


@dataclass
class Order:
    order_id: str = ""
    side: Side = Side.BUY
    total: Money = field(default_factory=Money)
    lines: list[Line] = field(default_factory=list)
    by_sku: dict[str, Line] = field(default_factory=dict)
    discount: Optional[Money] = None
    note: Optional[str] = None
    tags: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    blob: bytes = b""
    weight: float = 0.0
    gift: bool = False
    title: str = ""


@dataclass
class Receipt:
    order_id: str = ""
    accepted: bool = False
    side: Side = Side.BUY
    charged: Optional[Money] = None
    lines: list[Line] = field(default_factory=list)
    message: str = ""


@service(name="Shop")
class ShopService:
    @rpc
    async def place(self, req: Order) -> Receipt:
        return Receipt(order_id=req.order_id, accepted=True)

    @rpc(idempotent=True)
    async def quote(self, req: Line) -> Money:
        return req.price


SERVICES = [ShopService]

SAMPLES = {
    "Order": Order(
        order_id="o-1", side=Side.HOLD,
        total=Money(units=12, nanos=500_000_000, currency=Currency(code="EUR", digits=2)),
        lines=[Line(sku="a", qty=2, price=Money(units=3, currency=Currency(code="EUR"))),
               Line(sku="b", qty=1)],
        by_sku={"a": Line(sku="a", qty=2), "β": Line(sku="β", qty=7,
                                                     price=Money(units=-1, nanos=-5))},
        discount=Money(units=1, currency=Currency(code="USD", digits=3)),
        note=None, tags=["x", "日本"], counts={"k": -3, "z": 2**40},
        blob=b"\x00\x01\xfe\xff", weight=2.5, gift=True,
        title="Grüße — 日本語 ✓ 😀"),
    "Receipt": Receipt(
        order_id="o-1", accepted=True, side=Side.SELL,
        charged=Money(units=9, currency=Currency(code="JPY", digits=0)),
        lines=[Line(sku="c", qty=3)], message="ok ✓"),
    "Line": Line(sku="q", qty=4, price=Money(units=2, nanos=1, currency=Currency(code="CHF"))),
    "Money": Money(units=8, nanos=9, currency=Currency(code="GBP", digits=2)),
}
