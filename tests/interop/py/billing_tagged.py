"""A service whose types carry explicit `@wire_type` tags with dots and slashes, at version 3
(tests/interop/collection_test.cpp, issue 9 point 4). `acme.billing.Customer` has dots and no
slash: its namespace on the wire is "" while its TypeDef's package is this module (0.1.2's
`_get_package_name`), the case where the manifest's tag settles the identity.
"""
from dataclasses import dataclass, field
from enum import Enum
from typing import Optional

from aster import rpc, service, wire_type


class Status(Enum):
    DRAFT = "draft"
    SENT = "sent"
    PAID = "paid"


@wire_type("acme/billing.v2/Item")
@dataclass
class Item:
    sku: str = ""
    cents: int = 0
    attrs: dict[str, str] = field(default_factory=dict)


@wire_type("acme.billing.Customer")
@dataclass
class Customer:
    name: str = ""
    vip: bool = False


@wire_type("acme.billing/Invoice")
@dataclass
class Invoice:
    number: str = ""
    customer: Customer = field(default_factory=Customer)
    items: list[Item] = field(default_factory=list)
    status: Status = Status.DRAFT
    paid: Optional[float] = None


@wire_type("acme.billing/InvoiceAck")
@dataclass
class InvoiceAck:
    number: str = ""
    ok: bool = False
    customer: Optional[Customer] = None
    status: Status = Status.DRAFT


@service(name="Billing", version=3)
class BillingService:
    @rpc
    async def send(self, req: Invoice) -> InvoiceAck:
        return InvoiceAck(number=req.number, ok=True)


SERVICES = [BillingService]

SAMPLES = {
    "Invoice": Invoice(
        number="INV-7", customer=Customer(name="Zoë Ærø", vip=True),
        items=[Item(sku="s1", cents=1999, attrs={"colour": "grün"}), Item(sku="s2")],
        status=Status.SENT, paid=12.75),
    "InvoiceAck": InvoiceAck(number="INV-7", ok=True, customer=None, status=Status.PAID),
}
