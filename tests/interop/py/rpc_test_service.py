"""RpcTest: the Python twin of tests/support/rpc_test_service.hpp (same tags, fields, methods).

Imported by rpc_test_producer.py (a real aster-rpc 0.1.2 producer serving it) and
rpc_test_consumer.py (a real 0.1.2 consumer calling our C++ producer).
"""
import asyncio
import contextvars
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aster.codec import wire_type
from aster.decorators import rpc, server_stream, service
from aster.interceptors.base import Interceptor
from aster.status import RpcError, StatusCode


@wire_type("test.rpc/EchoRequest")
@dataclass
class EchoRequest:
    message: str = ""
    data: str = ""


@wire_type("test.rpc/EchoReply")
@dataclass
class EchoReply:
    message: str = ""
    data: str = ""
    metadata: str = ""
    peer: str = ""


@wire_type("test.rpc/FailRequest")
@dataclass
class FailRequest:
    code: int = 0
    message: str = ""


@wire_type("test.rpc/SlowRequest")
@dataclass
class SlowRequest:
    ms: int = 0


@wire_type("test.rpc/CountRequest")
@dataclass
class CountRequest:
    n: int = 0
    fail_at: int = -1
    delay_ms: int = 0


@wire_type("test.rpc/CountItem")
@dataclass
class CountItem:
    i: int = 0


# Handlers see only the request in 0.1.2; an interceptor hands them the call context.
_call = contextvars.ContextVar("rpc_test_call", default=None)


class CallCapture(Interceptor):
    async def on_request(self, ctx, request):
        _call.set(ctx)
        return request


@service(name="RpcTest", version=1)
class RpcTest:
    @rpc
    async def echo(self, req: EchoRequest) -> EchoReply:
        ctx = _call.get()
        md = (ctx.metadata or {}) if ctx is not None else {}
        peer = (ctx.peer or "") if ctx is not None else ""
        return EchoReply(message=req.message, data=req.data, metadata=md.get("x-echo", ""), peer=peer)

    @rpc
    async def fail(self, req: FailRequest) -> EchoReply:
        raise RpcError(StatusCode(req.code), req.message)

    @rpc
    async def slow(self, req: SlowRequest) -> EchoReply:
        await asyncio.sleep(req.ms / 1000)
        return EchoReply(message="slept")

    @server_stream
    async def count(self, req: CountRequest) -> AsyncIterator[CountItem]:
        for i in range(req.n):
            if i == req.fail_at:
                raise RpcError(StatusCode.FAILED_PRECONDITION, f"failed at {i}")
            if req.delay_ms:
                await asyncio.sleep(req.delay_ms / 1000)
            yield CountItem(i=i)


# A consumer-side declaration with one more method than the producer has (UNIMPLEMENTED).
@service(name="RpcTest", version=1)
class RpcTestWider:
    @rpc
    async def nope(self, req: EchoRequest) -> EchoReply:
        raise NotImplementedError


@service(name="Missing", version=1)
class Missing:
    @rpc
    async def echo(self, req: EchoRequest) -> EchoReply:
        raise NotImplementedError
