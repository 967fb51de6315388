"""A real aster-rpc 0.1.2 producer written the ordinary way (plain dataclasses, no @wire_type:
0.1.2's default tags `module.Qualname`) whose request type holds fields 0.1.2 publishes no wire
type for: a datetime (ANY in the contract, "string" in the manifest) and a nested container
(dict[str, list[str]]: the manifest describes one level). Our `aster call` cannot encode such
a type with Fory and falls back to JSON mode, as aster-cli 0.1.2 calls (tests/interop/call_test.cpp,
AsterCallUnpublishedTypes). `Ledger.note` has only plain fields: it stays on Fory; its plain
Enum's default is not the first member, and 0.1.2 publishes it as str() ("Tone.LOUD").
`Ledger.label` takes a `set[str]`, which 0.1.2's manifest calls "string" and its type blob a
set: Fory. `Ledger.count` and `Ledger.echo_all` return builtins (`int`, `list[Note]`): Fory too (0.1.2's
JSON mode cannot encode a list of dataclasses); so do the session-scoped `Tally`'s methods.
`Journal` is JSON-only (`serialization=[SerializationMode.JSON]`): 0.1.2 says so only in its
contract (the admission summary lists no modes), and answers an XLANG call with
INVALID_ARGUMENT "Unsupported serialization mode: 0". Its type needs a @wire_type all the same:
0.1.2's server codec is XLANG and refuses untagged types that no XLANG service tagged.

Usage: python unpublished_types_producer.py
Prints one JSON line {"ticket": "aster1..."} and serves until stdin closes or SIGTERM.
"""
import asyncio
import datetime
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Optional

from aster import AsterServer, SerializationMode, wire_type
from aster.decorators import bidi_stream, client_stream, rpc, server_stream, service

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


@dataclass
class Label:
    """A set field: 0.1.2's manifest says "string" for it (`_classify_type` has no set), its
    type blob says set<string>."""
    name: str = ""
    labels: set[str] = field(default_factory=set)


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

    # Builtin return types: the manifest names the builtin ("int", "list") with no wire tag.
    @rpc
    async def count(self, req: Note) -> int:
        return req.n * 2

    @rpc
    async def echo_all(self, req: Note) -> list[Note]:
        return [req, Note(text="second", n=2, tone=Tone.QUIET)]

    @rpc
    async def square(self, n: int) -> int:
        return n * n

    @rpc
    async def label(self, req: Label) -> Label:
        # The reply's set has one member: a set's order on the wire is Python's iteration order.
        return Label(name=f"{req.name}:{','.join(sorted(req.labels))}", labels={"seen"})


class Mood(IntEnum):
    CALM = 0
    BUSY = 1


@wire_type("journal/Page")
@dataclass
class Page:
    title: str = ""
    mood: Mood = Mood.CALM
    lines: list[str] = field(default_factory=list)


@service(name="Journal", version=2, serialization=[SerializationMode.JSON])
class Journal:
    @rpc
    async def write(self, req: Page) -> Page:
        return Page(title=req.title.upper(), mood=req.mood, lines=req.lines + ["written"])

    @server_stream
    async def read(self, req: Page) -> AsyncIterator[Page]:
        for i in range(3):
            yield Page(title=f"{req.title}{i}", mood=Mood.BUSY)


@service(name="Tally", version=3, scoped="session")
class Tally:
    """Session-scoped, replies annotated with builtins."""

    def __init__(self, peer=None):
        self.total = 0

    @rpc
    async def add(self, req: Note) -> int:
        self.total += req.n
        return self.total

    @rpc
    async def notes(self, req: Note) -> list[Note]:
        return [Note(text=f"{req.text}{i}", n=self.total) for i in range(2)]

    @rpc
    async def reset(self, to: int) -> int:
        self.total = to
        return self.total


async def main() -> None:
    async with AsterServer(services=[Ledger(), Journal(), Tally]) as srv:
        print(json.dumps({"ticket": srv.address}), flush=True)
        await wait_until_stopped()


if __name__ == "__main__":
    asyncio.run(main())
