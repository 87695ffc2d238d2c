#!/usr/bin/env python3
"""aiocoap (an independent CoAP implementation) against our example server:
GET, observe, block-wise PUT/GET of 100 kB, .well-known/core. Each step is
bounded in time. Usage: interop_aiocoap.py PORT. Prints one line per check
and exits non-zero if any failed."""
import asyncio
import os
import sys

import aiocoap
from aiocoap import Code, Message

PORT = int(sys.argv[1])
BASE = f"coap://127.0.0.1:{PORT}"
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))


async def main():
    ctx = await aiocoap.Context.create_client_context()
    try:
        r = await asyncio.wait_for(ctx.request(Message(code=Code.GET, uri=BASE + "/")).response, 10)
        check("aiocoap GET /", r.code == Code.CONTENT and b"Example server" in r.payload, r)

        r = await asyncio.wait_for(ctx.request(Message(code=Code.GET, uri=BASE + "/.well-known/core")).response, 10)
        check("aiocoap .well-known/core", b"</time>" in r.payload, r.payload[:80])

        r = await asyncio.wait_for(ctx.request(Message(code=Code.GET, uri=BASE + "/nope")).response, 10)
        check("aiocoap 4.04", r.code == Code.NOT_FOUND, r.code)

        body = os.urandom(100_000)
        r = await asyncio.wait_for(ctx.request(Message(code=Code.PUT, uri=BASE + "/data", payload=body)).response, 30)
        check("aiocoap block-wise PUT 100 kB", r.code.is_successful(), r.code)
        r = await asyncio.wait_for(ctx.request(Message(code=Code.GET, uri=BASE + "/data")).response, 30)
        check("aiocoap block-wise GET 100 kB identical", r.payload == body, f"{len(r.payload)} bytes")

        req = ctx.request(Message(code=Code.GET, uri=BASE + "/time", observe=0))
        first = await asyncio.wait_for(req.response, 10)
        seen = [first.payload]
        async def notifications():
            async for n in req.observation:
                seen.append(n.payload)
                if len(seen) >= 3:
                    break
        try:
            await asyncio.wait_for(notifications(), 10)
        except asyncio.TimeoutError:
            pass
        req.observation.cancel()
        check("aiocoap observe /time (3 values)", len(seen) >= 3 and len(set(seen)) >= 2, seen)
    except Exception as e:  # a timeout or protocol error fails the run
        check("aiocoap session", False, repr(e))
    finally:
        await ctx.shutdown()


asyncio.run(main())
print(f"aiocoap: {sum(results)} passed, {len(results) - sum(results)} failed")
sys.exit(0 if results and all(results) else 1)
