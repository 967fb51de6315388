"""A real aster-rpc 0.1.2 consumer (AsterClient, typed stubs) calling RpcTest on the producer
at argv[1] (our C++ producer in the interop tests). Runs every case and prints one JSON object
{case: {"ok": bool, "code": int|null, "message": str, "value": ...}} on stdout.
"""
import asyncio
import gc
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


class Results(dict):
    """The results, each case logged to stderr as it completes (a hang shows where)."""

    def __setitem__(self, key, value):
        print(f"done {key}: {'ok' if value.get('ok') else value.get('code')}", file=sys.stderr,
              flush=True)
        super().__setitem__(key, value)


async def run_case(fn):
    try:
        return outcome(await fn())
    except Exception as e:  # noqa: BLE001 - every error is a result here
        return outcome(error=e)


async def main(address: str) -> None:
    client = AsterClient(address=address)
    await client.connect()
    results = Results()
    rpc_test = await client.client(RpcTest)
    wider = await client.client(RpcTestWider)
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

    # ---- server stream: payloads, metadata, error codes -----------------------------------
    async def echo_stream(req, **kw):
        items = [r async for r in rpc_test.echo_stream(req, **kw)]
        return {"n": len(items), "message": items[0].message if items else None,
                "data_ok": all(r.data == req.data for r in items),
                "metadata": items[0].metadata if items else None}

    results["ss_empty_payload"] = await run_case(lambda: echo_stream(EchoRequest()))
    results["ss_4mib"] = await run_case(lambda: echo_stream(EchoRequest(message="big", data=big)))
    results["ss_compressed"] = await run_case(
        lambda: echo_stream(EchoRequest(message="c", data="z" * 10000)))
    results["ss_metadata"] = await run_case(
        lambda: echo_stream(EchoRequest(message="m"), metadata={"x-echo": "round trip"}))
    for code in (5, 7, 9, 101):
        async def fail_stream(code=code):
            items = []
            try:
                async for item in rpc_test.fail_stream(FailRequest(code=code, message=f"code {code}")):
                    items.append(item.i)
            except Exception as e:  # noqa: BLE001
                return outcome(items, e)
            return outcome(items)
        results[f"ss_error_{code}"] = await fail_stream()

    # ---- client stream --------------------------------------------------------------------
    async def items(*reqs, then_wait=None):
        for r in reqs:
            yield r
        if then_wait is not None:
            await asyncio.sleep(then_wait)

    async def collect_echo(*reqs, **kw):
        r = await rpc_test.collect(items(*reqs), **kw)
        return {"message": r.message, "data": r.data if len(r.data) < 64 else None,
                "data_len": len(r.data), "data_ok": r.data == "".join(q.data for q in reqs),
                "metadata": r.metadata, "peer": r.peer}

    results["cs_normal"] = await run_case(lambda: collect_echo(
        EchoRequest("a", "1"), EchoRequest("b", "2"), EchoRequest("c", "3"),
        metadata={"x-echo": "round trip"}))
    results["cs_no_items"] = await run_case(lambda: collect_echo())
    results["cs_empty_payload"] = await run_case(lambda: collect_echo(EchoRequest()))
    results["cs_4mib"] = await run_case(lambda: collect_echo(EchoRequest("big", big)))
    results["cs_compressed"] = await run_case(lambda: collect_echo(EchoRequest("c", "z" * 10000)))
    results["cs_many"] = await run_case(
        lambda: collect_echo(*[EchoRequest(str(i), ".") for i in range(1000)]))
    for code in (5, 7, 9, 101):
        results[f"cs_error_{code}"] = await run_case(lambda code=code: rpc_test.collect_fail(
            items(FailRequest(code, f"code {code}"), FailRequest(0, "more"))))
    results["cs_deadline"] = await run_case(
        lambda: rpc_test.collect_slow(items(SlowRequest(5000)), timeout=0.3))

    async def abandon_client_stream():
        # A 0.1.2 consumer abandons a call by cancelling its task: the stream objects are
        # dropped with the input unfinished.
        try:
            await asyncio.wait_for(
                rpc_test.collect(items(EchoRequest("a"), EchoRequest("b"), then_wait=60)), 0.5)
        except asyncio.TimeoutError:
            pass
        gc.collect()
        r = await rpc_test.echo(EchoRequest(message="still serving"))
        return r.message

    results["cs_cancel"] = await run_case(abandon_client_stream)
    results["cs_unknown_method"] = await run_case(
        lambda: wider.nope_collect(items(EchoRequest("x"))))

    # ---- bidi -----------------------------------------------------------------------------
    async def chat_turns(*reqs, **kw):
        # `async with` opens the stream up front: 0.1.2's close() before any send() would
        # not open (nor finish) it, and the call would never end.
        async with rpc_test.chat(**kw) as ch:
            out = []
            for r in reqs:
                await ch.send(r)
                got = await ch.recv()
                out.append({"message": got.message, "data_ok": got.data == r.data,
                            "data_len": len(got.data), "metadata": got.metadata, "peer": got.peer})
            await ch.close()
            end = await ch.recv()
            return {"replies": out, "ended": end is None}

    results["bidi_normal"] = await run_case(lambda: chat_turns(
        EchoRequest("a", "1"), EchoRequest("b", "2"), EchoRequest("c", "3"),
        metadata={"x-echo": "round trip"}))
    results["bidi_no_items"] = await run_case(lambda: chat_turns())
    results["bidi_empty_payload"] = await run_case(lambda: chat_turns(EchoRequest()))
    results["bidi_4mib"] = await run_case(lambda: chat_turns(EchoRequest("big", big)))
    results["bidi_compressed"] = await run_case(lambda: chat_turns(EchoRequest("c", "z" * 10000)))
    results["bidi_many"] = await run_case(
        lambda: chat_turns(*[EchoRequest(str(i), ".") for i in range(300)]))

    async def chat_error(code):
        ch = rpc_test.chat_fail()
        got = []
        try:
            await ch.send(FailRequest(0, "fine"))
            got.append((await ch.recv()).message)
            await ch.send(FailRequest(code, f"code {code}"))
            await ch.recv()
        except Exception as e:  # noqa: BLE001
            return outcome(got, e)
        return outcome(got)

    for code in (5, 7, 9, 101):
        results[f"bidi_error_{code}"] = await chat_error(code)

    async def chat_count(req, limit=None, close_first=False, **kw):
        ch = rpc_test.chat_count(**kw)
        await ch.send(req)
        if close_first:
            await ch.close()
        got = []
        while True:
            item = await ch.recv()
            if item is None:
                break
            got.append(item.i)
            if limit is not None and len(got) >= limit:
                return got, ch
        return got, ch

    async def early_trailer():
        # The producer ends the call after one request; this consumer has not closed its side.
        got, ch = await chat_count(CountRequest(n=3))
        await ch.send(CountRequest(n=1))  # still accepted: the producer reads until our FIN
        await ch.close()
        return got

    results["bidi_early_trailer"] = await run_case(early_trailer)

    async def chat_deadline():
        got, _ = await chat_count(CountRequest(n=100000, delay_ms=20), timeout=0.3)
        return got

    results["bidi_deadline"] = await run_case(chat_deadline)

    async def abandon_bidi():
        got, ch = await chat_count(CountRequest(n=100000, delay_ms=1), limit=3)
        del ch  # a 0.1.2 consumer can only drop the channel
        gc.collect()
        r = await rpc_test.echo(EchoRequest(message="still serving"))
        return {"got": got, "after": r.message}

    results["bidi_cancel"] = await run_case(abandon_bidi)

    async def unknown_bidi():
        ch = wider.nope_chat()
        await ch.send(EchoRequest("x"))
        return await ch.recv()

    results["bidi_unknown_method"] = await run_case(unknown_bidi)

    try:
        await client.client(Missing)
        results["unknown_service"] = outcome("no error")
    except Exception as e:  # noqa: BLE001
        results["unknown_service"] = outcome(error=e)
    results["unknown_method"] = await run_case(lambda: wider.nope(EchoRequest()))

    async def unknown_stream():
        return [r async for r in wider.nope_stream(EchoRequest())]

    results["ss_unknown_method"] = await run_case(unknown_stream)
    # JSON mode (serializationMode 3) through 0.1.2's dynamic proxy, as `aster call` uses it.
    proxy = client.proxy("RpcTest")
    results["json_unary"] = await run_case(lambda: proxy.echo({"message": "json", "data": "d"}))
    results["json_error"] = await run_case(lambda: proxy.fail({"code": 7, "message": "no"}))

    async def json_stream():
        return [item async for item in proxy.count.stream({"n": 3, "fail_at": -1})]

    results["json_server_stream"] = await run_case(json_stream)

    async def json_items():
        for m in ("j", "s"):
            yield {"message": m, "data": m}

    results["json_client_stream"] = await run_case(lambda: proxy.collect(json_items()))

    async def json_bidi():
        ch = proxy.chat.bidi()
        await ch.open()
        await ch.send({"message": "json", "data": "d"})
        await ch.close()
        # 0.1.2's proxy channel has no public receive; its BidiChannel does.
        first = await ch._channel.recv()
        end = await ch._channel.recv()
        return {"first": first, "ended": end is None}

    results["json_bidi"] = await run_case(json_bidi)
    print(json.dumps(results, default=lambda o: getattr(o, "__dict__", str(o))), flush=True)
    await client.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
