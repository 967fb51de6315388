"""A real aster-rpc 0.1.2 consumer (AsterClient, typed stubs) calling RpcTest on the producer
at argv[1] (our C++ producer in the interop tests). Runs every case and prints one JSON object
{case: {"ok": bool, "code": int|null, "message": str, "value": ...}} on stdout.
"""
import asyncio
import json
import sys

from aster import AsterClient

from rpc_test_service import (CountRequest, EchoRequest, FailRequest, Missing, RpcTest,
                              RpcTestWider, SlowRequest)


def outcome(value=None, error=None):
    if error is None:
        return {"ok": True, "code": 0, "message": "", "value": value}
    code = getattr(error, "code", None)
    return {"ok": False, "code": int(code.value) if code is not None else None,
            "message": getattr(error, "message", str(error)), "kind": type(error).__name__,
            "value": value}


async def run_case(fn):
    try:
        return outcome(await fn())
    except Exception as e:  # noqa: BLE001 - every error is a result here
        return outcome(error=e)


async def main(address: str) -> None:
    client = AsterClient(address=address)
    await client.connect()
    results = {}
    rpc_test = await client.client(RpcTest)
    big = "".join(chr(ord("a") + i % 26) for i in range(4 * 1024 * 1024))

    async def echo(req, **kw):
        r = await rpc_test.echo(req, **kw)
        return {"message": r.message, "data_len": len(r.data), "data_ok": r.data == req.data,
                "metadata": r.metadata, "peer": r.peer}

    results["unary"] = await run_case(lambda: echo(EchoRequest(message="hello", data="x")))
    results["unary_empty"] = await run_case(lambda: echo(EchoRequest()))
    results["unary_4mib"] = await run_case(lambda: echo(EchoRequest(message="big", data=big)))
    results["unary_compressed"] = await run_case(
        lambda: echo(EchoRequest(message="c", data="z" * 10000)))
    results["metadata"] = await run_case(
        lambda: echo(EchoRequest(message="m"), metadata={"x-echo": "round trip", "k": "v"}))
    for code in (5, 7, 9, 101):
        results[f"error_{code}"] = await run_case(
            lambda code=code: rpc_test.fail(FailRequest(code=code, message=f"code {code}")))
    results["deadline"] = await run_case(lambda: rpc_test.slow(SlowRequest(ms=5000), timeout=0.3))
    results["slow_ok"] = await run_case(lambda: rpc_test.slow(SlowRequest(ms=1), timeout=30))

    async def collect(req, limit=None, **kw):
        items = []
        async for item in rpc_test.count(req, **kw):
            items.append(item.i)
            if limit is not None and len(items) >= limit:
                break
        return items

    results["server_stream"] = await run_case(lambda: collect(CountRequest(n=5)))
    results["server_stream_empty"] = await run_case(lambda: collect(CountRequest(n=0)))

    async def partial_then_error():
        items = []
        try:
            async for item in rpc_test.count(CountRequest(n=10, fail_at=2)):
                items.append(item.i)
        except Exception as e:  # noqa: BLE001
            return outcome(items, e)
        return outcome(items)

    results["server_stream_error"] = await partial_then_error()
    results["server_stream_cancel"] = await run_case(
        lambda: collect(CountRequest(n=100000, delay_ms=1), limit=3))
    results["after_cancel"] = await run_case(lambda: echo(EchoRequest(message="still serving")))
    results["server_stream_deadline"] = await run_case(
        lambda: collect(CountRequest(n=100000, delay_ms=20), timeout=0.3))

    try:
        await client.client(Missing)
        results["unknown_service"] = outcome("no error")
    except Exception as e:  # noqa: BLE001
        results["unknown_service"] = outcome(error=e)
    wider = await client.client(RpcTestWider)
    results["unknown_method"] = await run_case(lambda: wider.nope(EchoRequest()))
    # JSON mode (serializationMode 3) through 0.1.2's dynamic proxy, as `aster call` uses it.
    proxy = client.proxy("RpcTest")
    results["json_unary"] = await run_case(lambda: proxy.echo({"message": "json", "data": "d"}))
    results["json_error"] = await run_case(lambda: proxy.fail({"code": 7, "message": "no"}))

    async def json_stream():
        return [item async for item in proxy.count.stream({"n": 3, "fail_at": -1})]

    results["json_server_stream"] = await run_case(json_stream)
    print(json.dumps(results, default=lambda o: getattr(o, "__dict__", str(o))), flush=True)
    await client.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
