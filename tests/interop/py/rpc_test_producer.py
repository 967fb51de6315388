"""A real aster-rpc 0.1.2 producer serving RpcTest (rpc_test_service.py), HelloService and the
session-scoped SessionTest (session_test_service.py), for
our C++ consumer's interop tests. Prints one JSON line when ready:
  {"ticket": "aster1...", "node_addr_b64": "...", "endpoint_id": "<64 hex>"}
and serves until stdin closes or SIGTERM.
"""
import asyncio
import json

from aster import AsterServer
from aster.interceptors.deadline import DeadlineInterceptor

from hello_producer import HelloService, MissionControl
from peer_lifetime import wait_until_stopped
from rpc_test_service import CallCapture, RpcTest
from session_test_service import SessionTest


async def main() -> None:
    async with AsterServer(
        services=[RpcTest(), HelloService(), MissionControl(), SessionTest],
        interceptors=[DeadlineInterceptor(), CallCapture()],
    ) as srv:
        print(json.dumps({"ticket": srv.address, "node_addr_b64": srv.endpoint_addr_b64,
                          "endpoint_id": srv.endpoint_id}), flush=True)
        await wait_until_stopped()


if __name__ == "__main__":
    asyncio.run(main())
