"""A real aster-rpc 0.1.2 producer written the ordinary way (plain dataclasses, no @wire_type:
0.1.2's default tags `module.Qualname`) whose request type holds fields 0.1.2 publishes no wire
type for: a datetime (ANY in the contract, "string" in the manifest) and a nested container
(dict[str, list[str]]: the manifest describes one level). Our `aster call` cannot encode such
a type with Fory and falls back to JSON mode, as aster-cli 0.1.2 calls (tests/interop/call_test.cpp,
AsterCallUnpublishedTypes). `Ledger.note` has only plain fields: it stays on Fory; its plain
Enum's default is not the first member, and 0.1.2 publishes it as str() ("Tone.LOUD").

Usage: python unpublished_types_producer.py
Prints one JSON line {"ticket": "aster1..."} and serves until stdin closes or SIGTERM.
"""
import asyncio
import datetime
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Optional

from aster import AsterServer
from aster.decorators import bidi_stream, client_stream, rpc, service

from peer_lifetime import wait_until_stopped


@dataclass
class Entry:
    memo: str = ""
    when: Optional[datetime.datetime] = None
    groups: dict[str, list[str]] = field(default_factory=dict)
    n: int = 0


class Tone(Enum):
    QUIET = "quiet"
    LOUD = "loud"


@dataclass
class Note:
    text: str = ""
    n: int = 0
    tone: Tone = Tone.LOUD


@service(name="Ledger", version=4)
class Ledger:
    @rpc
    async def record(self, req: Entry) -> Entry:
        # In JSON mode 0.1.2 hands the handler the JSON values as they are (`when` a str); a
        # datetime in the reply would not JSON-encode, so the reply leaves it out.
        return Entry(memo=req.memo.upper(), groups=req.groups, n=req.n + 1)

    @client_stream()
    async def batch(self, entries: AsyncIterator[Entry]) -> Entry:
        got = [e async for e in entries]
        return Entry(memo=",".join(e.memo for e in got), n=len(got))

    @bidi_stream()
    async def replay(self, entries: AsyncIterator[Entry]) -> AsyncIterator[Entry]:
        async for e in entries:
            yield Entry(memo=e.memo, n=e.n * 10)

    @rpc
    async def note(self, req: Note) -> Note:
        return Note(text=req.text + "!", n=req.n + 1, tone=req.tone)


async def main() -> None:
    async with AsterServer(services=[Ledger()]) as srv:
        print(json.dumps({"ticket": srv.address}), flush=True)
        await wait_until_stopped()


if __name__ == "__main__":
    asyncio.run(main())
