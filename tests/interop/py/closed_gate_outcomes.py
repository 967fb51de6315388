"""What a 0.1.2 producer with a root key answers to admission requests: runs aster-rpc 0.1.2's
own handler (trust/consumer.py `handle_consumer_admission_rpc`, no hook, one
InMemoryNonceStore shared by the cases in order, no services) on each case.

stdin: {"root_pubkey": "<hex>", "cases": [{"request": "<raw request text>", "peer": "<hex>"}]}
stdout: a JSON list of the reply texts (to_json()).
"""
import asyncio
import json
import sys

from aster.trust.consumer import handle_consumer_admission_rpc
from aster.trust.nonces import InMemoryNonceStore


async def main():
    spec = json.load(sys.stdin)
    root = bytes.fromhex(spec["root_pubkey"])
    nonces = InMemoryNonceStore()
    replies = []
    for case in spec["cases"]:
        reply = await handle_consumer_admission_rpc(case["request"], root, None, case["peer"],
                                                    nonce_store=nonces, services=[],
                                                    registry_namespace="")
        replies.append(reply.to_json())
    print(json.dumps(replies))


if __name__ == "__main__":
    asyncio.run(main())
