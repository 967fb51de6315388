"""Five services defined with aster-rpc 0.1.2, each with an identical C++ twin in
tests/interop/contract_twins.hpp. Together they cover all four patterns, a session-scoped
service, nested types, enums, lists, sets, maps, optionals, bytes, nested generics (ANY),
timeouts, idempotency, versions and serialization modes.

Deliberately NO `from __future__ import annotations`: under PEP 563 0.1.2 hashes every
response type as 32 zero bytes (aster-rpc@0972ac9:bindings/python/aster/contract/identity.py
`_resolve_type_hash`). contract_publish.py checks it.
"""
import enum
from dataclasses import dataclass, field
from typing import AsyncIterator, Optional

from aster import service, rpc, server_stream, client_stream, bidi_stream, wire_type
from aster.rpc_types import SerializationMode


# ── 1. Echo: "vector D" of the unit tests (tests/unit/contract/service_contract_test.cpp) ──
@wire_type("demo/EchoRequest")
@dataclass
class EchoRequest:
    message: str = ""


@wire_type("demo/EchoResponse")
@dataclass
class EchoResponse:
    reply: str = ""


@wire_type("demo/Mixed")
@dataclass
class Mixed:
    n: int = 0
    tags: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    note: Optional[str] = None
    child: Optional[EchoRequest] = None


@service(name="Echo")
class EchoService:
    @rpc
    async def echo(self, req: EchoRequest) -> EchoResponse:
        return EchoResponse(reply=req.message)

    @rpc(timeout=2.5, idempotent=True)
    async def mixed(self, req: Mixed) -> EchoResponse:
        return EchoResponse()


# ── 2. Inventory: enums, bytes, floats, server stream ────────────────────────
class Category(enum.Enum):
    TOOLS = 0
    GARDEN = 1
    KITCHEN = 2


@wire_type("shop.inventory/Item")
@dataclass
class Item:
    sku: str = ""
    name: str = ""
    category: Category = Category.TOOLS
    price: float = 0.0
    photo: bytes = b""
    in_stock: bool = False
    tags: list[str] = field(default_factory=list)


@wire_type("shop.inventory/GetItem")
@dataclass
class GetItem:
    sku: str = ""


@wire_type("shop.inventory/WatchItems")
@dataclass
class WatchItems:
    category: Optional[Category] = None
    categories: list[Category] = field(default_factory=list)
    limit: int = 0
    min_price: Optional[float] = None


@service(name="Inventory", version=2)
class InventoryService:
    @rpc(idempotent=True)
    async def get(self, req: GetItem) -> Item:
        return Item()

    @server_stream(timeout=30.0)
    async def watch(self, req: WatchItems) -> AsyncIterator[Item]:
        yield Item()


# ── 3. Uploader: client stream, bytes maps, int keys ─────────────────────────
@wire_type("files/Chunk")
@dataclass
class Chunk:
    data: bytes = b""
    seq: int = 0
    last: bool = False
    checksum: Optional[bytes] = None


@wire_type("files/UploadSummary")
@dataclass
class UploadSummary:
    total_bytes: int = 0
    chunk_sizes: dict[int, int] = field(default_factory=dict)
    digests: dict[str, bytes] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@service(name="Uploader", serialization=[SerializationMode.XLANG, SerializationMode.JSON])
class UploaderService:
    @client_stream(idempotent=True)
    async def upload(self, chunks: AsyncIterator[Chunk]) -> UploadSummary:
        return UploadSummary()


# ── 4. ChatRoom: session scope, bidi stream, nested refs, nested generics ────
@wire_type("chat/Attachment")
@dataclass
class Attachment:
    name: str = ""
    content: bytes = b""
    mime: Optional[str] = None


@wire_type("chat/ChatMessage")
@dataclass
class ChatMessage:
    author: str = ""
    text: str = ""
    sent_at_ms: int = 0
    reactions: dict[str, int] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)
    pinned: Optional[Attachment] = None


@wire_type("chat/HistoryRequest")
@dataclass
class HistoryRequest:
    limit: int = 0
    authors: set[str] = field(default_factory=set)


@wire_type("chat/History")
@dataclass
class History:
    messages: list[ChatMessage] = field(default_factory=list)
    by_author: dict[str, list[ChatMessage]] = field(default_factory=dict)
    grid: list[list[int]] = field(default_factory=list)
    maybe_scores: list[Optional[float]] = field(default_factory=list)


@service(name="ChatRoom", scoped="session")
class ChatRoomService:
    def __init__(self, peer=None):
        self.peer = peer

    @bidi_stream
    async def chat(self, msgs: AsyncIterator[ChatMessage]) -> AsyncIterator[ChatMessage]:
        yield ChatMessage()

    @rpc(timeout=5.0)
    async def history(self, req: HistoryRequest) -> History:
        return History()


# ── 5. Mission control: every pattern in one service, version 3, deep nesting ─
class Severity(enum.Enum):
    INFO = 0
    WARN = 1
    CRITICAL = 2


@wire_type("acme.mission.v3/Coordinates")
@dataclass
class Coordinates:
    lat: float = 0.0
    lon: float = 0.0
    alt_m: Optional[float] = None


@wire_type("acme.mission.v3/Waypoint")
@dataclass
class Waypoint:
    name: str = ""
    at: Coordinates = field(default_factory=Coordinates)
    hold_s: int = 0


@wire_type("acme.mission.v3/Plan")
@dataclass
class Plan:
    plan_id: str = ""
    waypoints: list[Waypoint] = field(default_factory=list)
    by_name: dict[str, Waypoint] = field(default_factory=dict)
    origin: Optional[Coordinates] = None
    severity: Severity = Severity.INFO
    labels: dict[str, str] = field(default_factory=dict)
    blob: bytes = b""


@wire_type("acme.mission.v3/Ack")
@dataclass
class Ack:
    ok: bool = False
    message: str = ""
    plan_id: Optional[str] = None


@wire_type("acme.mission.v3/Telemetry")
@dataclass
class Telemetry:
    seq: int = 0
    position: Coordinates = field(default_factory=Coordinates)
    battery: float = 0.0
    alerts: list[Severity] = field(default_factory=list)
    sensor: dict[str, Severity] = field(default_factory=dict)


@wire_type("acme.mission.v3/Subscribe")
@dataclass
class Subscribe:
    mission: str = ""
    every_ms: Optional[int] = None


@wire_type("acme.mission.v3/Command")
@dataclass
class Command:
    verb: str = ""
    args: list[str] = field(default_factory=list)
    target: Optional[Waypoint] = None


@service(name="MissionControl", version=3)
class MissionControlService:
    @rpc(timeout=10.0, idempotent=True)
    async def submit_plan(self, req: Plan) -> Ack:
        return Ack()

    @server_stream(timeout=0.25)
    async def telemetry(self, req: Subscribe) -> AsyncIterator[Telemetry]:
        yield Telemetry()

    @client_stream
    async def upload_track(self, points: AsyncIterator[Coordinates]) -> Ack:
        return Ack()

    @bidi_stream(timeout=60.0)
    async def command(self, cmds: AsyncIterator[Command]) -> AsyncIterator[Ack]:
        yield Ack()


SERVICES = [EchoService, InventoryService, UploaderService, ChatRoomService,
            MissionControlService]
