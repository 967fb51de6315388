"""bench/rpc: the Python side of the RPC benchmark, on the real aster-rpc 0.1.2 (run it with the
reference venv's python). The twin of bench/rpc/rpc_bench_service.hpp and rpc_bench.cpp:

    python rpc_bench.py serve                 producer: prints {"address": "aster1..."}, serves
                                              RpcBench until SIGTERM/SIGINT or stdin closes
    python rpc_bench.py client <address> [--seconds S] [--stream-items N] [--bulk-kib K]
                                         [--bulk-in-flight N]

The client runs the same workloads as the C++ one and prints the same JSON object.
"""
import argparse
import asyncio
import json
import random
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aster import AsterClient, AsterServer
from aster.codec import wire_type
from aster.decorators import rpc, server_stream, service


@wire_type("bench.rpc/Blob")
@dataclass
class Blob:
    data: bytes = b""


@wire_type("bench.rpc/StreamRequest")
@dataclass
class StreamRequest:
    count: int = 0
    size: int = 0


@wire_type("bench.rpc/Ack")
@dataclass
class Ack:
    size: int = 0


@service(name="RpcBench", version=1)
class RpcBench:
    @rpc
    async def echo(self, req: Blob) -> Blob:
        return req

    @server_stream
    async def stream(self, req: StreamRequest) -> AsyncIterator[Blob]:
        item = Blob(data=b"\x5a" * req.size)
        for _ in range(req.count):
            yield item

    @rpc
    async def upload(self, req: Blob) -> Ack:
        return Ack(size=len(req.data))


async def serve() -> None:
    async with AsterServer(services=[RpcBench()]) as srv:
        print(json.dumps({"address": srv.address}), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.read(1) else None)
        await stop.wait()


def percentile(values, q):
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(q * (len(s) - 1)))]


class Tally:
    def __init__(self):
        self.errors = 0
        self.first_error = ""

    def error(self, e):
        if self.errors == 0:
            self.first_error = f"{type(e).__name__}: {e}"
        self.errors += 1


async def unary_phase(svc, workers, seconds, tally):
    lat = []
    payload = b"\x07" * 64
    start = time.perf_counter()
    end = start + seconds

    async def worker():
        while time.perf_counter() < end:
            t = time.perf_counter()
            try:
                back = await svc.echo(Blob(data=payload))
                if len(back.data) != len(payload):
                    raise RuntimeError("short echo")
                lat.append((time.perf_counter() - t) * 1e6)
            except Exception as e:  # noqa: BLE001 - counted, reported
                tally.error(e)

    await asyncio.gather(*(worker() for _ in range(workers)))
    secs = time.perf_counter() - start
    return {"rps": len(lat) / secs, "p50_us": percentile(lat, 0.5),
            "p99_us": percentile(lat, 0.99), "calls": len(lat)}


async def stream_phase(svc, seconds, items_per_call, tally):
    items = 0
    start = time.perf_counter()
    end = start + seconds
    while True:
        try:
            async for item in svc.stream(StreamRequest(count=items_per_call, size=64)):
                if len(item.data) != 64:
                    raise RuntimeError("short stream item")
                items += 1
        except Exception as e:  # noqa: BLE001
            tally.error(e)
            break
        if time.perf_counter() >= end:
            break
    return items / (time.perf_counter() - start)


async def bulk_phase(svc, seconds, kib, in_flight, tally):
    payload = random.Random(42).randbytes(kib << 10)  # incompressible, as the C++ client's
    sent = 0
    start = time.perf_counter()
    end = start + seconds

    async def worker():
        nonlocal sent
        while True:
            try:
                ack = await svc.upload(Blob(data=payload))
                if ack.size != len(payload):
                    raise RuntimeError("upload size mismatch")
                sent += len(payload)
            except Exception as e:  # noqa: BLE001
                tally.error(e)
                return
            if time.perf_counter() >= end:
                return

    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return (sent / 1e6) / (time.perf_counter() - start)


async def client(args) -> int:
    tally = Tally()
    out = {"unary1": {}, "unary64": {}, "stream_msgs_per_s": 0.0, "bulk_mbps": 0.0}
    try:
        c = AsterClient(address=args.address)
        await c.connect()
        svc = await c.client(RpcBench)
        await unary_phase(svc, 8, min(0.2, args.seconds), tally)  # warm-up
        out["unary1"] = await unary_phase(svc, 1, args.seconds, tally)
        out["unary64"] = await unary_phase(svc, 64, args.seconds, tally)
        out["stream_msgs_per_s"] = await stream_phase(svc, args.seconds, args.stream_items, tally)
        out["bulk_mbps"] = await bulk_phase(svc, args.seconds, args.bulk_kib,
                                            args.bulk_in_flight, tally)
        await c.close()
    except Exception as e:  # noqa: BLE001
        tally.error(e)
    out["errors"] = tally.errors
    out["first_error"] = tally.first_error
    print(json.dumps(out), flush=True)
    return 0 if tally.errors == 0 else 1


def main() -> int:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    sub.add_parser("serve")
    c = sub.add_parser("client")
    c.add_argument("address")
    c.add_argument("--seconds", type=float, default=2.0)
    c.add_argument("--stream-items", type=int, default=10000)
    c.add_argument("--bulk-kib", type=int, default=1024)
    c.add_argument("--bulk-in-flight", type=int, default=4)
    args = p.parse_args()
    if args.mode == "serve":
        asyncio.run(serve())
        return 0
    return asyncio.run(client(args))


if __name__ == "__main__":
    sys.exit(main())
