"""A real aster-rpc 0.1.2 consumer with an identity file: AsterClient(address, identity=PATH)
connects (admission presents the file's consumer credential) and calls
HelloService.say_hello. Prints one JSON object: {"admitted": true, "reply": "..."} or
{"admitted": false, "kind": "<exception type>", "error": "..."}.

usage: trust_consumer.py ADDRESS IDENTITY_PATH
"""
import asyncio
import json
import sys

from aster import AsterClient

from hello_producer import HelloRequest, HelloService


async def main(address, identity):
    client = AsterClient(address=address, identity=identity)
    try:
        await client.connect()
    except Exception as e:  # noqa: BLE001 - the outcome is the result
        print(json.dumps({"admitted": False, "kind": type(e).__name__, "error": str(e)}))
        return
    try:
        hello = await client.client(HelloService)
        reply = await hello.say_hello(HelloRequest(name="trust"))
        print(json.dumps({"admitted": True, "reply": reply.message}))
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"admitted": True, "kind": type(e).__name__, "error": str(e)}))
    finally:
        await client.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
