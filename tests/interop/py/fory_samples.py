"""Sample requests of the twin services, encoded by pyfory 0.16.0 through aster-rpc 0.1.2's
ForyCodec (what a 0.1.2 client sends). Prints JSON:
  {"<Service>.<method>": {"type": <request class name>, "hex": <Fory XLANG bytes>,
                          "json": <the same value in the codec's JSON conventions>}}
JSON conventions (docs/codec.md): bytes → base64, sets → arrays, non-string map keys → their
JSON text; enums → their Python *value*, as json.dumps writes an IntEnum (a 0.1.2 manifest gives
enums only by value, include/aster/contract/manifest_types.hpp).
"""
import base64
import dataclasses
import enum
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import aster_twins as t
from aster.codec import ForyCodec


def to_json(v):
    if dataclasses.is_dataclass(v):
        return {f.name: to_json(getattr(v, f.name)) for f in dataclasses.fields(v)}
    if isinstance(v, enum.Enum):
        return v.value
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(v).decode()
    if isinstance(v, (list, tuple, set, frozenset)):
        return [to_json(x) for x in v]
    if isinstance(v, dict):
        return {(k if isinstance(k, str) else json.dumps(k)): to_json(x) for k, x in v.items()}
    return v


SAMPLES = {
    "Echo.echo": t.EchoRequest(message="héllo wörld"),
    "Echo.mixed": t.Mixed(n=-42, tags=["a", "b"], scores={"x": 1.5, "y": -0.25},
                          note=None, child=t.EchoRequest(message="kid")),
    "Inventory.get": t.GetItem(sku="SKU-1"),
    "Inventory.watch": t.WatchItems(category=t.Category.GARDEN,
                                    categories=[t.Category.KITCHEN, t.Category.TOOLS],
                                    limit=10, min_price=None),
    "Uploader.upload": t.Chunk(data=b"\x00\x01\xfe\xff", seq=7, last=True, checksum=b"\xaa"),
    "ChatRoom.chat": t.ChatMessage(
        author="ann", text="日本", sent_at_ms=1712764800000, reactions={"+1": 2},
        attachments=[t.Attachment(name="a.txt", content=b"hi", mime="text/plain")],
        pinned=None),
    "ChatRoom.history": t.HistoryRequest(limit=5, authors={"bob"}),
    "MissionControl.submit_plan": t.Plan(
        plan_id="p1",
        waypoints=[t.Waypoint(name="w1", at=t.Coordinates(lat=1.0, lon=2.0, alt_m=3.5),
                              hold_s=9)],
        by_name={"w1": t.Waypoint(name="w1", at=t.Coordinates(lat=1.0, lon=2.0))},
        origin=t.Coordinates(lat=-1.0, lon=0.5), severity=t.Severity.CRITICAL,
        labels={"env": "prod"}, blob=b"\x10\x20"),
    "MissionControl.telemetry": t.Subscribe(mission="m", every_ms=250),
    "MissionControl.upload_track": t.Coordinates(lat=48.1, lon=11.5, alt_m=None),
    "MissionControl.command": t.Command(verb="go", args=["fast"], target=None),
}


def main():
    out = {}
    for svc in t.SERVICES:
        info = svc.__aster_service_info__
        types = []
        for mi in info.methods.values():
            types += [mi.request_type, mi.response_type]
        codec = ForyCodec(types=types)
        for name, mi in info.methods.items():
            key = f"{info.name}.{name}"
            sample = SAMPLES[key]
            assert type(sample) is mi.request_type, key
            data = codec.encode(sample)
            assert codec.decode(data, mi.request_type) == sample, key
            out[key] = {"type": mi.request_type.__name__, "hex": data.hex(),
                        "json": to_json(sample)}
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
