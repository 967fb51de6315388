"""How our Python reference peers live: until SIGTERM/SIGINT or until the test harness closes
their stdin (tests/interop/reference_peer.cpp keeps it open for the peer's lifetime)."""
import asyncio
import signal
import sys


async def wait_until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.read(1) else None)
    await stop.wait()
