"""A real aster-rpc 0.1.2 consumer making argv[2] concurrent calls on one connection to RpcTest
at argv[1] (our C++ producer): half unary `slow` (50 ms in the handler), half server stream
`count` (3 items, 20 ms apart), all started at once with asyncio.gather. Past the producer's
stream limit, 0.1.2's open_bi must wait for credit. Prints one JSON line:
{"calls": n, "ok": n, "failed": n, "first_error": str, "seconds": float}.
"""
import asyncio
import json
import sys
import time

from aster import AsterClient

from rpc_test_service import CountRequest, RpcTest, SlowRequest


async def main(address: str, calls: int) -> None:
    client = AsterClient(address=address)
    await client.connect()
    rpc_test = await client.client(RpcTest)

    async def one(i: int) -> None:
        if i % 2 == 0:
            r = await rpc_test.slow(SlowRequest(ms=50))
            assert r.message == "slept", r.message
        else:
            items = [item.i async for item in rpc_test.count(CountRequest(n=3, delay_ms=20))]
            assert items == [0, 1, 2], items

    start = time.monotonic()
    results = await asyncio.gather(*(one(i) for i in range(calls)), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    print(json.dumps({"calls": calls, "ok": calls - len(errors), "failed": len(errors),
                      "first_error": repr(errors[0]) if errors else "",
                      "seconds": time.monotonic() - start}), flush=True)
    await client.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
