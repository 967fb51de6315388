"""The Echo twin under `from __future__ import annotations` (PEP 563). aster-rpc 0.1.2 then
sees every response type as a string and hashes it as 32 zero bytes
(aster-rpc@0972ac9:bindings/python/aster/contract/identity.py `_resolve_type_hash`).
contract_publish.py must refuse it loudly; contract_twins_test checks that."""
from __future__ import annotations

from dataclasses import dataclass

from aster import service, rpc, wire_type


@wire_type("demo/EchoRequest")
@dataclass
class EchoRequest:
    message: str = ""


@wire_type("demo/EchoResponse")
@dataclass
class EchoResponse:
    reply: str = ""


@service(name="Echo")
class EchoService:
    @rpc
    async def echo(self, req: EchoRequest) -> EchoResponse:
        return EchoResponse(reply=req.message)


SERVICES = [EchoService]
