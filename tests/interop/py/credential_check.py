"""How aster-rpc 0.1.2's runtime sees a credential file (ours or aster-cli's): it loads it as a
consumer does (runtime.py `_load_enrollment_credential`, which reads JSON credentials and
`.aster-identity` files) and verifies the signature with 0.1.2's own code, the check its
producer makes. For an identity file it also checks that [node] endpoint_id is the public key of
[node] secret_key. Prints one JSON object.

usage: credential_check.py PATH [--producer-peer NAME]
"""
import base64
import json
import sys
import tomllib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from aster.runtime import _load_enrollment_credential
from aster.trust.credentials import EnrollmentCredential
from aster.trust.signing import verify_signature


def main():
    path = sys.argv[1]
    out = {}
    text = open(path).read()
    if len(sys.argv) > 3 and sys.argv[2] == "--producer-peer":
        data = tomllib.loads(text)
        peer = next(p for p in data["peers"] if p["name"] == sys.argv[3])
        cred = EnrollmentCredential(endpoint_id=peer["endpoint_id"],
                                    root_pubkey=bytes.fromhex(peer["root_pubkey"]),
                                    expires_at=int(peer["expires_at"]),
                                    attributes=peer.get("attributes", {}),
                                    signature=bytes.fromhex(peer["signature"]))
        out["verified"] = verify_signature(cred)
        out["attributes"] = cred.attributes
        print(json.dumps(out))
        return
    cred = _load_enrollment_credential(path)
    out["verified"] = verify_signature(cred)
    out["type"] = cred.credential_type
    out["attributes"] = cred.attributes
    out["endpoint_id"] = cred.endpoint_id
    out["nonce"] = cred.nonce.hex() if cred.nonce else None
    out["root_pubkey"] = cred.root_pubkey.hex()
    out["expires_at"] = cred.expires_at
    if not text.lstrip().startswith("{"):
        data = tomllib.loads(text)
        secret = base64.b64decode(data["node"]["secret_key"])
        derived = Ed25519PrivateKey.from_private_bytes(secret).public_key().public_bytes_raw().hex()
        out["node_endpoint_id"] = data["node"]["endpoint_id"]
        out["node_key_matches"] = derived == data["node"]["endpoint_id"]
        out["peers"] = [p["name"] for p in data.get("peers", [])]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
