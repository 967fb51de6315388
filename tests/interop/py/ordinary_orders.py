"""An ordinary aster-rpc 0.1.2 service, written the way its users write them: no @wire_type
(the default tags are this module's name and the class names: `ordinary_orders/Order`), an Enum
whose values are strings, an IntEnum whose values are not positions, nested dataclasses with
default factories, Optional fields, list / dict[int, …] / bytes / float, every call pattern,
and two versions of one service: `Orders` v2 (the current one) and v1 (the one 0.1.2 consumers
can call: they always send version 1).

Served by ordinary_orders_producer.py and called by ordinary_orders_consumer.py; the C++ twin is
tests/interop/ordinary_orders.hpp (tests/interop/ordinary_service_test.cpp).
"""
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Optional

from aster.decorators import bidi_stream, client_stream, rpc, server_stream, service
from aster.status import RpcError, StatusCode


class Shape(Enum):
    CIRCLE = "circle"
    SQUARE = "square"
    TRIANGLE = "triangle"


class Priority(IntEnum):
    LOW = 10
    HIGH = 20


@dataclass
class Line:
    label: str = ""
    shape: Shape = Shape.CIRCLE
    qty: int = 1


@dataclass
class Order:
    """An order as a shop would write it."""
    id: int = 0
    customer: str = ""
    first: Line = field(default_factory=Line)
    extra: Optional[Line] = None
    lines: list[Line] = field(default_factory=list)
    by_sku: dict[int, Line] = field(default_factory=dict)
    priority: Priority = Priority.LOW
    price: float = 0.0
    note: Optional[str] = None
    raw: bytes = b""
    tags: list[str] = field(default_factory=list)


@dataclass
class Receipt:
    order_id: int = 0
    total_qty: int = 0
    shapes: list[Shape] = field(default_factory=list)
    echoed: Optional[Order] = None


def receipt_of(order: Order) -> Receipt:
    """What both producers answer: the C++ twin computes the same."""
    if not order.customer:
        raise RpcError(StatusCode.INVALID_ARGUMENT, "an order needs a customer")
    if order.priority == Priority.HIGH and order.price > 1000:
        raise RpcError(StatusCode.FAILED_PRECONDITION, "high priority orders stop at 1000")
    everything = [order.first] + ([order.extra] if order.extra else []) + order.lines
    order.raw = order.raw + b"!"
    order.tags = order.tags + ["seen"]
    return Receipt(order_id=order.id + 1000,
                   total_qty=sum(line.qty for line in everything) +
                   sum(line.qty for line in order.by_sku.values()),
                   shapes=[line.shape for line in everything], echoed=order)


async def lines_of(order: Order) -> AsyncIterator[Line]:
    for line in order.lines:
        yield line
    if order.note == "fail":
        raise RpcError(StatusCode.ABORTED, "stopped after the lines")


async def bulk_of(orders: AsyncIterator[Order]) -> Receipt:
    count, qty, shapes = 0, 0, []
    async for order in orders:
        count += 1
        qty += order.first.qty
        shapes.append(order.first.shape)
    return Receipt(order_id=count, total_qty=qty, shapes=shapes)


async def relabel_each(lines: AsyncIterator[Line]) -> AsyncIterator[Line]:
    async for line in lines:
        if line.qty < 0:
            raise RpcError(StatusCode.OUT_OF_RANGE, f"negative quantity for {line.label}")
        yield Line(label=line.label.upper(), shape=Shape.TRIANGLE, qty=line.qty * 2)


@service(name="Orders", version=2)
class Orders:
    """Orders, the current version."""

    @rpc
    async def place(self, req: Order) -> Receipt:
        """Place an order."""
        return receipt_of(req)

    @server_stream
    async def lines(self, req: Order) -> AsyncIterator[Line]:
        async for line in lines_of(req):
            yield line

    @client_stream
    async def bulk(self, reqs: AsyncIterator[Order]) -> Receipt:
        return await bulk_of(reqs)

    @bidi_stream
    async def relabel(self, reqs: AsyncIterator[Line]) -> AsyncIterator[Line]:
        async for line in relabel_each(reqs):
            yield line


@service(name="Orders", version=1)
class OrdersV1:
    """Orders, the first version (what a 0.1.2 consumer calls)."""

    @rpc
    async def place(self, req: Order) -> Receipt:
        return receipt_of(req)

    @server_stream
    async def lines(self, req: Order) -> AsyncIterator[Line]:
        async for line in lines_of(req):
            yield line

    @client_stream
    async def bulk(self, reqs: AsyncIterator[Order]) -> Receipt:
        return await bulk_of(reqs)

    @bidi_stream
    async def relabel(self, reqs: AsyncIterator[Line]) -> AsyncIterator[Line]:
        async for line in relabel_each(reqs):
            yield line
