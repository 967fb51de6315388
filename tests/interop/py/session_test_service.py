"""SessionTest: the Python twin of tests/support/session_test_service.hpp (same tags, fields,
methods, scoped="session"). Each session keeps a running total and a call count.

Served by rpc_test_producer.py (a real aster-rpc 0.1.2 producer) and called by
session_test_consumer.py (a real 0.1.2 consumer calling our C++ producer).
"""
import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aster.codec import wire_type
from aster.decorators import bidi_stream, client_stream, rpc, server_stream, service
from aster.status import RpcError, StatusCode

from rpc_test_service import (CountItem, CountRequest, EchoReply, EchoRequest, FailRequest,
                              SlowRequest, _call)


@wire_type("test.session/AddRequest")
@dataclass
class AddRequest:
    n: int = 0


@wire_type("test.session/Total")
@dataclass
class Total:
    total: int = 0
    calls: int = 0
    peer: str = ""


@service(name="SessionTest", version=1, scoped="session")
class SessionTest:
    def __init__(self, peer=None):
        self.peer = peer or ""
        self.total = 0
        self.calls = 0

    @rpc
    async def add(self, req: AddRequest) -> Total:
        self.total += req.n
        self.calls += 1
        return Total(total=self.total, calls=self.calls, peer=self.peer)

    @rpc
    async def echo(self, req: EchoRequest) -> EchoReply:
        self.calls += 1
        ctx = _call.get()
        md = (ctx.metadata or {}) if ctx is not None else {}
        return EchoReply(message=req.message, data=req.data, metadata=md.get("x-echo", ""),
                         peer=self.peer)

    @rpc
    async def fail(self, req: FailRequest) -> EchoReply:
        self.calls += 1
        raise RpcError(StatusCode(req.code), req.message)

    @rpc
    async def slow(self, req: SlowRequest) -> EchoReply:
        self.calls += 1
        await asyncio.sleep(req.ms / 1000)
        return EchoReply(message="slept")

    @rpc
    async def crash(self, req: EchoRequest) -> EchoReply:
        raise RuntimeError(f"crashed: {req.message}")

    @server_stream
    async def count(self, req: CountRequest) -> AsyncIterator[CountItem]:
        self.calls += 1
        for i in range(req.n):
            if i == req.fail_at:
                raise RpcError(StatusCode.FAILED_PRECONDITION, f"failed at {i}")
            if req.delay_ms:
                await asyncio.sleep(req.delay_ms / 1000)
            yield CountItem(i=i)


    @client_stream
    async def sum(self, reqs: AsyncIterator[AddRequest]) -> Total:
        self.calls += 1
        async for req in reqs:
            self.total += req.n
        return Total(total=self.total, calls=self.calls, peer=self.peer)

    @bidi_stream
    async def chat(self, reqs: AsyncIterator[EchoRequest]) -> AsyncIterator[EchoReply]:
        self.calls += 1
        ctx = _call.get()
        md = (ctx.metadata or {}) if ctx is not None else {}
        async for req in reqs:
            if req.message.startswith("fail:"):
                raise RpcError(StatusCode(int(req.message[5:])), req.message)
            yield EchoReply(message=req.message, data=req.data, metadata=md.get("x-echo", ""),
                            peer=self.peer)


# A consumer-side declaration with a method the producer does not have (UNIMPLEMENTED).
@service(name="SessionTest", version=1, scoped="session")
class SessionTestWider:
    def __init__(self, peer=None):
        pass

    @rpc
    async def nope(self, req: AddRequest) -> Total:
        raise NotImplementedError


@service(name="MissingSession", version=1, scoped="session")
class MissingSession:
    def __init__(self, peer=None):
        pass

    @rpc
    async def add(self, req: AddRequest) -> Total:
        raise NotImplementedError
