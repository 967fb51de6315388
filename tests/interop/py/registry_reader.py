"""Reads a producer's registry with the real aster-cli / aster-rpc 0.1.2 code
(tests/interop/registry_interop_test.cpp): the shell's own `PeerConnection` (admission, join the
registry doc, wait for sync, the `manifests/<cid>` fast path:
aster-rpc@0972ac9:cli/aster_cli/shell/app.py `_fetch_manifests`), then the slow path it falls back
to (`contracts/<cid>` ArtifactRef → `download_collection_hash` → `manifest.json`) and the version
pointers, on the registry doc the shell joined.

Usage: python registry_reader.py <producer address>   (HOME should be an empty directory: the
shell reads ~/.aster/cache/manifests first). Prints one JSON object:
  {"namespace", "services": {name: {"contract_id", "fast": manifest|null,
   "artifact": {...}|null, "collection_names": [...], "slow": manifest|null,
   "contract_bin_blake3", "types_match": bool, "version_pointer": str|null}}}
"""
import asyncio
import json
import sys

import blake3

from aster_cli.shell.app import PeerConnection
from aster import blobs_client
from aster.registry.keys import contract_key, version_key
from aster.registry.models import ArtifactRef


async def main(addr: str) -> None:
    conn = PeerConnection(addr)
    await conn.connect()
    await conn.wait_for_manifests(timeout=30.0)
    client = conn._aster_client
    out = {"namespace": client.registry_namespace, "services": {}}
    doc = conn._registry_doc
    bc = blobs_client(client._node)
    remote = conn._get_remote_node_id()
    for svc in conn._services:
        r = {"contract_id": svc.contract_id, "fast": conn._manifests.get(svc.name),
             "artifact": None, "collection_names": [], "slow": None,
             "contract_bin_blake3": None, "types_match": None, "version_pointer": None}
        if doc is not None:
            entries = await doc.query_key_exact(contract_key(svc.contract_id))
            if entries:
                raw = await doc.read_entry_content(entries[0].content_hash)
                ref = ArtifactRef.from_json(raw)
                r["artifact"] = json.loads(raw)
                r["artifact_raw"] = raw.decode() if isinstance(raw, bytes) else raw
                files = await bc.download_collection_hash(ref.collection_hash, remote)
                r["collection_names"] = [n for n, _ in files]
                ok = True
                for name, data in files:
                    if name == "manifest.json":
                        r["slow"] = json.loads(data)
                    elif name == "contract.bin":
                        r["contract_bin_blake3"] = blake3.blake3(data).hexdigest()
                    elif name.startswith("types/"):
                        ok = ok and name == f"types/{blake3.blake3(data).hexdigest()}.bin"
                r["types_match"] = ok
            vp = await doc.query_key_exact(version_key(svc.name, svc.version))
            if vp:
                r["version_pointer"] = (await doc.read_entry_content(vp[0].content_hash)).decode()
        out["services"][svc.name] = r
    print(json.dumps(out), flush=True)
    await client.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
