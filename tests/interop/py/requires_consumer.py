"""A real aster-rpc 0.1.2 consumer with an identity file against a Mission Control producer
started with --auth (upstream's chapter 5): tries one call of each pattern whose method has a
`requires` and prints one JSON object, call -> "ok" or {"code": N, "message": "..."}:

  getStatus      unary, requires ops.status
  tailLogs       server stream, requires any_of(ops.logs, ops.admin) (after an unguarded
                 submitLog, so a permitted call has one entry to read)
  ingestMetrics  client stream, requires ops.ingest
  register       AgentSession (session scoped), requires ops.ingest

On a failed admission: {"admitted": false, "kind": ..., "error": ...}.

usage: requires_consumer.py ADDRESS IDENTITY_PATH
"""
import asyncio
import json
import sys
import time

from aster import AsterClient, RpcError


def outcome_of(e):
    if isinstance(e, RpcError):
        return {"code": int(e.code), "message": e.message}
    return {"kind": type(e).__name__, "error": str(e)}


async def attempt(results, name, call):
    try:
        await asyncio.wait_for(call(), timeout=30)
        results[name] = "ok"
    except Exception as e:  # noqa: BLE001 - the outcome is the result
        results[name] = outcome_of(e)


async def main(address, identity):
    client = AsterClient(address=address, identity=identity)
    try:
        await client.connect()
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"admitted": False, "kind": type(e).__name__, "error": str(e)}))
        return
    results = {"admitted": True}
    mc = client.proxy("MissionControl")

    async def get_status():
        await mc.getStatus({"agent_id": "edge-1"})

    async def tail_logs():
        await mc.submitLog({"timestamp": time.time(), "level": "info", "message": "hi",
                            "agent_id": "edge-1"})
        async for _ in mc.tailLogs.stream({"agent_id": "", "level": "info"}):
            break

    async def ingest_metrics():
        async def points():
            yield {"name": "cpu", "value": 1.0, "timestamp": time.time()}
        await mc.ingestMetrics(points())

    async def register():
        agent = await client.session("AgentSession")
        try:
            await agent.register({"agent_id": "edge-1", "capabilities": ["gpu"], "load_avg": 0.5})
        finally:
            await agent.close()

    await attempt(results, "getStatus", get_status)
    await attempt(results, "tailLogs", tail_logs)
    await attempt(results, "ingestMetrics", ingest_metrics)
    await attempt(results, "register", register)
    await client.close()
    print(json.dumps(results, sort_keys=True))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
