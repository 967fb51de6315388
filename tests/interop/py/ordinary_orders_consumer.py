"""A real aster-rpc 0.1.2 consumer (AsterClient, typed stub) calling Orders v1
(ordinary_orders.py) on the producer at argv[1]: every call pattern with the module's nested
types, enums, bytes and Optionals, and the handler errors. Prints one JSON object
{case: {"ok": bool, "code": int|null, "message": str, "value": ...}} on stdout.
"""
import asyncio
import dataclasses
import enum
import json
import sys

from aster import AsterClient

from ordinary_orders import Line, Order, OrdersV1, Priority, Shape


def plain(value):
    """JSON-ready: dataclasses as dicts, enums by member name, bytes as latin-1 text."""
    if dataclasses.is_dataclass(value):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def outcome(value=None, error=None):
    if error is None:
        return {"ok": True, "code": 0, "message": "", "value": plain(value)}
    code = getattr(error, "code", None)
    return {"ok": False, "code": int(code.value) if code is not None else None,
            "message": getattr(error, "message", str(error)), "kind": type(error).__name__}


async def run_case(fn):
    try:
        return outcome(await fn())
    except Exception as e:  # noqa: BLE001 - every error is a result here
        return outcome(error=e)


def sample_order() -> Order:
    return Order(id=7, customer="ada",
                 first=Line(label="pen", shape=Shape.SQUARE, qty=3),
                 extra=Line(label="ink", shape=Shape.TRIANGLE, qty=2),
                 lines=[Line(label="pad", qty=4), Line(label="cap", shape=Shape.SQUARE, qty=1)],
                 by_sku={42: Line(label="box", shape=Shape.TRIANGLE, qty=5)},
                 priority=Priority.HIGH, price=12.5, note=None, raw=b"\x00\xffab",
                 tags=["gift"])


async def main(address: str) -> None:
    client = AsterClient(address=address)
    await client.connect()
    orders = await client.client(OrdersV1)
    results = {}
    results["place"] = await run_case(lambda: orders.place(sample_order()))
    results["place_defaults"] = await run_case(lambda: orders.place(Order(customer="bo")))
    results["invalid_argument"] = await run_case(lambda: orders.place(Order()))
    results["failed_precondition"] = await run_case(
        lambda: orders.place(Order(customer="cy", priority=Priority.HIGH, price=5000.0)))

    async def lines(order):
        return [line async for line in orders.lines(order)]

    results["lines"] = await run_case(lambda: lines(sample_order()))
    failing = sample_order()
    failing.note = "fail"

    async def lines_then_error():
        seen = []
        try:
            async for line in orders.lines(failing):
                seen.append(line.label)
        except Exception as e:  # noqa: BLE001
            return {"seen": seen, "code": int(e.code.value), "message": e.message}
        return {"seen": seen}

    results["lines_error"] = await run_case(lines_then_error)

    async def some_orders():
        for i, shape in enumerate([Shape.CIRCLE, Shape.TRIANGLE, Shape.SQUARE]):
            yield Order(id=i, customer="x", first=Line(label=f"l{i}", shape=shape, qty=i + 1))

    results["bulk"] = await run_case(lambda: orders.bulk(some_orders()))

    async def relabel(items):
        # 0.1.2's bidi stub is a channel: send one, receive one (`async with` opens the stream).
        out = []
        async with orders.relabel() as ch:
            for item in items:
                await ch.send(item)
                out.append(await ch.recv())
            await ch.close()
            if await ch.recv() is not None:
                raise AssertionError("a reply after the last")
        return out

    results["relabel"] = await run_case(
        lambda: relabel([Line(label="a", qty=1), Line(label="b", shape=Shape.SQUARE, qty=2)]))
    results["relabel_error"] = await run_case(
        lambda: relabel([Line(label="a", qty=1), Line(label="neg", qty=-1)]))
    print(json.dumps(results), flush=True)
    await client.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
