"""Prints admission messages as aster-rpc 0.1.2's own writers produce them, one JSON document:
{"requests": [{"fields": {...}, "json": "<to_json()>"}], "responses": [...]}.

tests/interop/admission_json_test.cpp builds the same messages in C++ from "fields" and checks
that our writer gives these bytes exactly, and that our reader round-trips them. The fields
cover what changes the bytes: non-ASCII (json.dumps escapes it), nested JSON in a string,
attribute order, several services, session pattern, modes, the gossip topic's presence.
"""
import json

from aster.registry.models import ServiceSummary
from aster.trust.consumer import ConsumerAdmissionRequest, ConsumerAdmissionResponse

requests = [
    {"credential_json": "", "iid_token": ""},
    {"credential_json": json.dumps({"credential_type": "policy", "attributes": {"aster.role": "ops", "ü": "é"}}),
     "iid_token": ""},
    {"credential_json": "{\"a\":\"\\u00fc\"}", "iid_token": "tok-日本"},
]

services = [
    {"name": "HelloService", "version": 1, "contract_id": "3c" * 32,
     "channels": {"rpc": "YWJj"}, "pattern": "shared", "serialization_modes": []},
    {"name": "AgentSession", "version": 3, "contract_id": "ab" * 32,
     "channels": {}, "pattern": "session", "serialization_modes": ["xlang", "json"]},
    {"name": "Ünïcode", "version": 7, "contract_id": "00" * 32,
     "channels": {"rpc": "eA==", "alt": "eQ=="}, "pattern": "shared", "serialization_modes": ["json"]},
]

responses = [
    {"admitted": False, "attributes": {}, "services": [], "registry_namespace": "",
     "root_pubkey": "", "gossip_topic": ""},
    {"admitted": True, "attributes": {"aster.role": "ops", "ü": "é", "a": "1"},
     "services": services[:1], "registry_namespace": "ab" * 32, "root_pubkey": "cd" * 32,
     "gossip_topic": ""},
    {"admitted": True, "attributes": {"zeta": "z", "alpha": "a"}, "services": services,
     "registry_namespace": "ef" * 32, "root_pubkey": "00" * 32, "gossip_topic": "12" * 32},
]

out = {
    "requests": [{"fields": r, "json": ConsumerAdmissionRequest(**r).to_json()} for r in requests],
    "responses": [
        {"fields": r,
         "json": ConsumerAdmissionResponse(
             admitted=r["admitted"], attributes=r["attributes"],
             services=[ServiceSummary(**s) for s in r["services"]],
             registry_namespace=r["registry_namespace"], root_pubkey=r["root_pubkey"],
             gossip_topic=r["gossip_topic"]).to_json()}
        for r in responses
    ],
}
print(json.dumps(out))
