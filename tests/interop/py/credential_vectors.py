"""Credential vectors from aster-rpc 0.1.2's own signing code (aster/trust/signing.py,
consumer.py `consumer_cred_to_json`, aster_cli/trust.py `_sign_command`).

Prints one JSON document. tests/unit/trust/vectors/credentials.json is this output, kept so
the unit tests run without the venv; tests/interop/credential_vectors_test.cpp checks that the
kept file still equals a fresh run.
"""
import argparse
import contextlib
import io
import json
import os
import sys
import tempfile

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from aster.trust.credentials import ConsumerEnrollmentCredential, EnrollmentCredential
from aster.trust.consumer import consumer_cred_to_json
from aster.trust.signing import _canonical_json, _canonical_signing_bytes, sign_credential
from aster_cli import trust as cli_trust

ROOT_SEED = bytes([1]) * 32
NODE_SEED = bytes([2]) * 32
EXPIRES = 1893456000


def pub(seed):
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()


ROOT_PUB = pub(ROOT_SEED)
NODE_ID = pub(NODE_SEED).hex()

ATTRIBUTE_SETS = [
    {},
    {"aster.role": "producer"},
    {"aster.role": "ops.status,ops.logs", "aster.name": "edge-1"},
    {"b": "2", "a": "1", "A": "0", "_": "x", "aster.role": "consumer"},
    {"quote": 'say "hi"', "back\\slash": "a\\b", "ctl": "tab\tnl\ncr\rbs\bff\fbell\x07us\x1f",
     "del": "\x7f", "slash": "a/b", "ls": "\u2028"},
    {"é": "ü", "日本": "語", "emoji": "\U0001F680", "z": "ascii"},
]


def producer_case(attrs, endpoint_id=NODE_ID, expires=EXPIRES):
    cred = EnrollmentCredential(endpoint_id=endpoint_id, root_pubkey=ROOT_PUB,
                                expires_at=expires, attributes=attrs)
    cred.signature = sign_credential(cred, ROOT_SEED)
    return {"kind": "producer", "endpoint_id": endpoint_id, "expires_at": expires,
            "attributes": attrs, "canonical_json": _canonical_json(attrs).hex(),
            "signing_bytes": _canonical_signing_bytes(cred).hex(),
            "signature": cred.signature.hex()}


def consumer_case(ctype, attrs, endpoint_id, nonce, expires=EXPIRES):
    cred = ConsumerEnrollmentCredential(credential_type=ctype, root_pubkey=ROOT_PUB,
                                        expires_at=expires, attributes=attrs,
                                        endpoint_id=endpoint_id, nonce=nonce)
    cred.signature = sign_credential(cred, ROOT_SEED)
    return {"kind": "consumer", "credential_type": ctype, "endpoint_id": endpoint_id,
            "nonce": nonce.hex() if nonce is not None else None, "expires_at": expires,
            "attributes": attrs, "canonical_json": _canonical_json(attrs).hex(),
            "signing_bytes": _canonical_signing_bytes(cred).hex(),
            "signature": cred.signature.hex(), "wire_json": consumer_cred_to_json(cred)}


def trust_sign_file(ctype, endpoint_id, attrs):
    """What `aster trust sign` writes (its own code, run in-process)."""
    with tempfile.TemporaryDirectory() as tmp:
        key = os.path.join(tmp, "root.key")
        with open(key, "w") as f:
            json.dump({"private_key": ROOT_SEED.hex(), "public_key": ROOT_PUB.hex()}, f)
        out = os.path.join(tmp, "cred.json")
        args = argparse.Namespace(root_key=key, endpoint_id=endpoint_id,
                                  attributes=json.dumps(attrs), expires="2030-01-01T00:00:00Z",
                                  type=ctype, out=out)
        with contextlib.redirect_stdout(io.StringIO()):
            assert cli_trust._sign_command(args) == 0
        with open(out) as f:
            return {"type": ctype, "endpoint_id": endpoint_id, "attributes": attrs,
                    "file": f.read()}


def main():
    nonce = bytes(range(32))
    cases = []
    for attrs in ATTRIBUTE_SETS:
        cases.append(producer_case(attrs))
        cases.append(consumer_case("policy", attrs, NODE_ID, None))
        cases.append(consumer_case("policy", attrs, None, None))
        cases.append(consumer_case("ott", attrs, None, nonce))
        cases.append(consumer_case("ott", attrs, NODE_ID, nonce))
    cases.append(consumer_case("policy", {}, "", None))  # "" counts as bound
    cases.append(producer_case({}, expires=0))
    cases.append(producer_case({}, expires=2**64 - 1))
    files = [trust_sign_file("producer", NODE_ID, {"aster.role": "producer"}),
             trust_sign_file("policy", NODE_ID, {"aster.role": "ops.status"}),
             trust_sign_file("policy", None, {"aster.role": "é"})]
    json.dump({"root_seed": ROOT_SEED.hex(), "root_pubkey": ROOT_PUB.hex(),
               "node_seed": NODE_SEED.hex(), "node_id": NODE_ID,
               "cases": cases, "trust_sign_files": files}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
