"""A real aster-rpc 0.1.2 producer for interop tests and the demo (ours, not a mock).

Starts an AsterServer (dev mode: open gate) serving HelloService and, with --many, a few more
services, then prints one JSON line on stdout:
  {"ticket": "aster1...", "node_addr_b64": "...", "endpoint_id": "<64 hex>",
   "services": [{"name":..., "version":..., "contract_id":...}, ...]}
and serves until stdin closes or it gets SIGTERM. Run it with ASTER_RELAY_MODE=disabled
inside a loopback-only network namespace (scripts/netns-run).
"""
import argparse
import asyncio
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aster import AsterServer
from aster.codec import wire_type
from aster.decorators import rpc, server_stream, service
from peer_lifetime import wait_until_stopped


@wire_type("demo.hello/HelloRequest")
@dataclass
class HelloRequest:
    name: str = ""


@wire_type("demo.hello/HelloResponse")
@dataclass
class HelloResponse:
    message: str = ""


@service(name="HelloService", version=1)
class HelloService:
    """The canonical Aster hello world."""

    @rpc
    async def say_hello(self, req: HelloRequest) -> HelloResponse:
        return HelloResponse(message=f"Hello, {req.name}!")


@wire_type("demo.mission/StatusRequest")
@dataclass
class StatusRequest:
    agent_id: str = ""


@wire_type("demo.mission/StatusResponse")
@dataclass
class StatusResponse:
    agent_id: str = ""
    status: str = ""
    uptime_secs: int = 0


@service(name="MissionControl", version=2)
class MissionControl:
    @rpc
    async def get_status(self, req: StatusRequest) -> StatusResponse:
        return StatusResponse(agent_id=req.agent_id, status="idle", uptime_secs=42)

    @server_stream
    async def watch(self, req: StatusRequest) -> AsyncIterator[StatusResponse]:
        for i in range(3):
            yield StatusResponse(agent_id=req.agent_id, status=f"tick-{i}", uptime_secs=i)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--many", action="store_true", help="also serve MissionControl")
    args = parser.parse_args()
    services = [HelloService()] + ([MissionControl()] if args.many else [])
    async with AsterServer(services=services) as srv:
        summaries = [
            {"name": s.name, "version": s.version, "contract_id": s.contract_id}
            for s in getattr(srv, "_service_summaries", [])
        ]
        info = {
            "ticket": srv.address,
            "node_addr_b64": srv.endpoint_addr_b64,
            "endpoint_id": srv.endpoint_id,
            "services": summaries,
        }
        print(json.dumps(info), flush=True)
        await wait_until_stopped()


if __name__ == "__main__":
    asyncio.run(main())
