"""RpcTest: the Python twin of tests/support/rpc_test_service.hpp (same tags, fields, methods).

Imported by rpc_test_producer.py (a real aster-rpc 0.1.2 producer serving it) and
rpc_test_consumer.py (a real 0.1.2 consumer calling our C++ producer).
"""
import asyncio
import contextvars
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aster.codec import wire_type
from aster.decorators import bidi_stream, client_stream, rpc, server_stream, service
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


def _echo_reply(message: str, data: str) -> EchoReply:
    ctx = _call.get()
    md = (ctx.metadata or {}) if ctx is not None else {}
    peer = (ctx.peer or "") if ctx is not None else ""
    return EchoReply(message=message, data=data, metadata=md.get("x-echo", ""), peer=peer)


async def _count_items(req: CountRequest) -> AsyncIterator[CountItem]:
    for i in range(req.n):
        if i == req.fail_at:
            raise RpcError(StatusCode.FAILED_PRECONDITION, f"failed at {i}")
        if req.delay_ms:
            await asyncio.sleep(req.delay_ms / 1000)
        yield CountItem(i=i)


@service(name="RpcTest", version=1)
class RpcTest:
    @rpc
    async def echo(self, req: EchoRequest) -> EchoReply:
        return _echo_reply(req.message, req.data)

    @rpc
    async def fail(self, req: FailRequest) -> EchoReply:
        raise RpcError(StatusCode(req.code), req.message)

    @rpc
    async def slow(self, req: SlowRequest) -> EchoReply:
        await asyncio.sleep(req.ms / 1000)
        return EchoReply(message="slept")

    @server_stream
    async def count(self, req: CountRequest) -> AsyncIterator[CountItem]:
        async for item in _count_items(req):
            yield item

    @server_stream
    async def echo_stream(self, req: EchoRequest) -> AsyncIterator[EchoReply]:
        reply = _echo_reply(req.message, req.data)
        for _ in range(2):
            yield reply

    @server_stream
    async def fail_stream(self, req: FailRequest) -> AsyncIterator[CountItem]:
        yield CountItem(i=0)
        raise RpcError(StatusCode(req.code), req.message)

    @client_stream
    async def collect(self, reqs: AsyncIterator[EchoRequest]) -> EchoReply:
        messages, data = [], []
        async for r in reqs:
            messages.append(r.message)
            data.append(r.data)
        return _echo_reply("|".join(messages), "".join(data))

    @client_stream
    async def collect_fail(self, reqs: AsyncIterator[FailRequest]) -> EchoReply:
        async for r in reqs:
            raise RpcError(StatusCode(r.code), r.message)
        return EchoReply(message="no items")

    @client_stream
    async def collect_slow(self, reqs: AsyncIterator[SlowRequest]) -> EchoReply:
        ms = 0
        async for r in reqs:
            ms += r.ms
        await asyncio.sleep(ms / 1000)
        return EchoReply(message="slept")

    @bidi_stream
    async def chat(self, reqs: AsyncIterator[EchoRequest]) -> AsyncIterator[EchoReply]:
        async for r in reqs:
            yield _echo_reply(r.message, r.data)

    @bidi_stream
    async def chat_fail(self, reqs: AsyncIterator[FailRequest]) -> AsyncIterator[EchoReply]:
        async for r in reqs:
            if r.code != 0:
                raise RpcError(StatusCode(r.code), r.message)
            yield EchoReply(message=r.message)

    @bidi_stream
    async def chat_count(self, reqs: AsyncIterator[CountRequest]) -> AsyncIterator[CountItem]:
        async for req in reqs:
            async for item in _count_items(req):
                yield item
            return


# A consumer-side declaration with methods the producer does not have (UNIMPLEMENTED), one
# per pattern.
@service(name="RpcTest", version=1)
class RpcTestWider:
    @rpc
    async def nope(self, req: EchoRequest) -> EchoReply:
        raise NotImplementedError

    @server_stream
    async def nope_stream(self, req: EchoRequest) -> AsyncIterator[EchoReply]:
        raise NotImplementedError
        yield EchoReply()

    @client_stream
    async def nope_collect(self, reqs: AsyncIterator[EchoRequest]) -> EchoReply:
        raise NotImplementedError

    @bidi_stream
    async def nope_chat(self, reqs: AsyncIterator[EchoRequest]) -> AsyncIterator[EchoReply]:
        raise NotImplementedError
        yield EchoReply()


@service(name="Missing", version=1)
class Missing:
    @rpc
    async def echo(self, req: EchoRequest) -> EchoReply:
        raise NotImplementedError
