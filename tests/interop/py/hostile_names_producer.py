"""A real aster-rpc 0.1.2 producer whose service name is hostile to terminals (issue 13,
point 4): it clears the screen, sets the window title, and forges a table row with CR/LF.
0.1.2 accepts any string as a service name and sends it in the admission reply as is.

Prints one JSON line like hello_producer.py ({"ticket", "node_addr_b64", "services"}) and
serves until stdin closes or SIGTERM. Run with ASTER_RELAY_MODE=disabled in a loopback netns.
"""
import asyncio
import json
from dataclasses import dataclass

from aster import AsterServer
from aster.codec import wire_type
from aster.decorators import rpc, service
from peer_lifetime import wait_until_stopped

HOSTILE_NAME = "Evil\x1b]0;pwned\x07\x1b[2J\r\nForged  v9  shared  \u202egnp.exe"


@wire_type("demo.hostile/Ping")
@dataclass
class Ping:
    text: str = ""


@service(name=HOSTILE_NAME, version=1)
class HostileService:
    @rpc
    async def ping(self, req: Ping) -> Ping:
        return req


async def main() -> None:
    async with AsterServer(services=[HostileService()]) as srv:
        summaries = [
            {"name": s.name, "version": s.version, "contract_id": s.contract_id}
            for s in getattr(srv, "_service_summaries", [])
        ]
        print(json.dumps({"ticket": srv.address, "node_addr_b64": srv.endpoint_addr_b64,
                          "services": summaries}), flush=True)
        await wait_until_stopped()


if __name__ == "__main__":
    asyncio.run(main())
