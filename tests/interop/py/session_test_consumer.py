"""A real aster-rpc 0.1.2 consumer calling the session-scoped SessionTest on the producer at
argv[1] (our C++ producer in the interop tests): typed sessions (`AsterClient.client` →
`create_session` → SessionStub, Fory) and the dynamic session proxy (`AsterClient.session`,
JSON). Prints one JSON object {case: {"ok": bool, "code": int|null, "message": str,
"value": ...}} on stdout.

0.1.2's SessionStub always sends deadlineEpochMs 0 and cancels only between calls (its lock),
so the deadline and mid-call CANCEL cases write those frames with 0.1.2's own framing and
codec on the stub's stream (aster.framing.write_frame, the stub's ForyCodec).
"""
import asyncio
import json
import sys
import time
import uuid

from aster import AsterClient
from aster.framing import CALL, CANCEL, TRAILER, read_frame, write_frame
from aster.protocol import CallHeader, RpcStatus
from aster.status import StatusCode

from rpc_test_service import CountRequest, EchoRequest, FailRequest, SlowRequest
from session_test_service import AddRequest, MissingSession, SessionTest, SessionTestWider
from rpc_test_consumer import outcome, run_case


async def main(address: str) -> None:
    client = AsterClient(address=address)
    await client.connect()
    results = {}
    s = await client.client(SessionTest)
    other = await client.client(SessionTest)

    async def add(stub, n):
        t = await stub.add(AddRequest(n=n))
        return {"total": t.total, "calls": t.calls, "peer": t.peer}

    results["first"] = await run_case(lambda: add(s, 1))
    results["state"] = await run_case(lambda: add(s, 2))
    results["isolated"] = await run_case(lambda: add(other, 1))
    results["server_stream"] = await run_case(
        lambda: _items(s.count(CountRequest(n=5))))
    results["server_stream_error"] = await run_case(
        lambda: _items(s.count(CountRequest(n=10, fail_at=2))))
    for code in (5, 7, 9, 101):
        results[f"error_{code}"] = await run_case(
            lambda code=code: s.fail(FailRequest(code=code, message=f"code {code}")))
    results["crash"] = await run_case(lambda: s.crash(EchoRequest(message="x")))
    results["after_errors"] = await run_case(lambda: add(s, 0))

    # Client stream and bidi inside the session: the stub sends the items, then TRAILER(OK).
    async def items_of(values):
        for v in values:
            yield v

    async def sum_of(values):
        t = await s.sum(items_of([AddRequest(n=v) for v in values]))
        return {"total": t.total, "calls": t.calls}

    async def chat(messages, **kw):
        replies = await s.chat(items_of([EchoRequest(message=m) for m in messages]), **kw)
        return [r.message + r.metadata for r in replies]

    results["client_stream"] = await run_case(lambda: sum_of([10, 20, 30]))
    results["client_stream_empty"] = await run_case(lambda: sum_of([]))
    results["bidi"] = await run_case(lambda: chat(["a", "b", "c"], metadata={"x-echo": "!"}))
    results["bidi_error"] = await run_case(lambda: chat(["a", "fail:9", "c"]))
    results["after_streams"] = await run_case(lambda: add(s, 0))

    big = "".join(chr(ord("a") + i % 26) for i in range(4 * 1024 * 1024))

    async def echo(req, **kw):
        r = await s.echo(req, **kw)
        return {"message": r.message, "data_len": len(r.data), "data_ok": r.data == req.data,
                "metadata": r.metadata, "peer": r.peer}

    results["empty"] = await run_case(lambda: echo(EchoRequest()))
    results["4mib"] = await run_case(lambda: echo(EchoRequest(message="big", data=big)))
    results["compressed"] = await run_case(lambda: echo(EchoRequest(message="c", data="z" * 10000)))
    results["metadata"] = await run_case(
        lambda: echo(EchoRequest(message="m"), metadata={"x-echo": "round trip"}))

    # Deadline: a CallHeader with deadlineEpochMs, written like SessionStub writes its CALLs.
    async def deadline():
        async with s._lock:
            header = CallHeader(method="slow", callId=str(uuid.uuid4()),
                                deadlineEpochMs=int((time.time() + 0.3) * 1000))
            await write_frame(s._send, s._codec.encode(header), flags=CALL)
            await write_frame(s._send, s._codec.encode(SlowRequest(ms=5000)), flags=0)
            payload, flags = await read_frame(s._recv)
            status = s._codec.decode(payload, RpcStatus) if flags & TRAILER else None
            return {"code": status.code if status else None,
                    "message": status.message if status else ""}

    results["deadline"] = await run_case(deadline)
    results["after_deadline"] = await run_case(lambda: add(s, 0))

    # CANCEL: between calls through SessionStub.cancel(), mid-call as a CANCEL frame on the
    # stream while the stub's call waits for its answer.
    results["cancel_idle"] = await run_case(s.cancel)

    async def cancel_mid(call):
        task = asyncio.create_task(call())
        await asyncio.sleep(0.3)
        await write_frame(s._send, b"", flags=CANCEL)
        return await task

    results["cancel_unary"] = await run_case(lambda: cancel_mid(lambda: s.slow(SlowRequest(ms=60000))))
    results["cancel_stream"] = await run_case(
        lambda: cancel_mid(lambda: _items(s.count(CountRequest(n=1000000, delay_ms=1)))))
    results["after_cancel"] = await run_case(lambda: add(s, 0))

    # Unknown method: UNIMPLEMENTED, and the session ends.
    wider = await client.client(SessionTestWider)
    results["unknown_method"] = await run_case(lambda: wider.nope(AddRequest(n=1)))
    results["after_unknown_method"] = await run_case(lambda: wider.nope(AddRequest(n=1)))

    try:
        await client.client(MissingSession)
        results["unknown_service"] = outcome("no error")
    except Exception as e:  # noqa: BLE001
        results["unknown_service"] = outcome(error=e)

    # The JSON session proxy (serializationMode 3), as `AsterClient.session(name)` opens it.
    proxy = await client.session("SessionTest")
    results["json_first"] = await run_case(lambda: proxy.add({"n": 2}))
    results["json_state"] = await run_case(lambda: proxy.add({"n": 3}))
    results["json_error"] = await run_case(lambda: proxy.fail({"code": 7, "message": "no"}))
    await proxy.close()

    await s.close()
    await other.close()
    print(json.dumps(results, default=lambda o: getattr(o, "__dict__", str(o))), flush=True)
    await client.close()


async def _items(awaitable):
    return [item.i for item in await awaitable]


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
