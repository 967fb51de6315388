"""A real aster-rpc 0.1.2 producer serving Orders v1 and v2 (ordinary_orders.py). Prints one
JSON line when ready, {"ticket": "aster1..."}, and serves until stdin closes or SIGTERM."""
import asyncio
import json

from aster import AsterServer

from ordinary_orders import Orders, OrdersV1
from peer_lifetime import wait_until_stopped


async def main() -> None:
    async with AsterServer(services=[Orders(), OrdersV1()]) as srv:
        print(json.dumps({"ticket": srv.address}), flush=True)
        await wait_until_stopped()


if __name__ == "__main__":
    asyncio.run(main())
