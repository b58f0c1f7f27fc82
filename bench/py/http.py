"""aiohttp anchors for bench/http.bench.ts (run with Debian's /usr/bin/python3 -P: the file is
named http.py, so -P keeps it from shadowing the standard library's http package).

  http.py gets PORT N C [--uvloop]          N GETs of /json at concurrency C; prints req/s and
                                             CPU microseconds per request
  http.py download PORT SIZE DEST [--uvloop] [--ca CERT.pem]
                                             the seed's section-7 loop (iter_chunked(64 KiB) +
                                             aiofiles); prints MB/s (HTTPS with --ca)
"""
import asyncio
import sys
import time

import aiofiles
import aiohttp


async def gets(port: int, n: int, c: int) -> str:
    url = f"http://127.0.0.1:{port}/json"
    connector = aiohttp.TCPConnector(limit=c)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def one():
            async with session.get(url) as resp:
                return await resp.json()

        for _ in range(200):
            await one()
        counter = 0

        async def worker():
            nonlocal counter
            while counter < n:
                counter += 1
                await one()

        started = time.perf_counter()
        cpu = time.process_time()
        await asyncio.gather(*(worker() for _ in range(c)))
        used = time.process_time() - cpu
        return f"{n / (time.perf_counter() - started)} {used * 1e6 / n}"


async def download(port: int, size: int, dest: str, ca: str | None) -> float:
    scheme = "http" if ca is None else "https"
    url = f"{scheme}://127.0.0.1:{port}/big?size={size}"
    ssl_context = None
    if ca is not None:
        import ssl

        ssl_context = ssl.create_default_context(cafile=ca)
    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        async with session.get(url, ssl=ssl_context) as resp:
            async with aiofiles.open(dest, "wb") as f:
                async for chunk in resp.content.iter_chunked(1024 * 64):
                    await f.write(chunk)
    return size / 1e6 / (time.perf_counter() - started)


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--uvloop"]
    ca = None
    if "--ca" in args:
        at = args.index("--ca")
        ca = args[at + 1]
        del args[at : at + 2]
    if "--uvloop" in sys.argv:
        import uvloop

        uvloop.install()
    mode = args[0]
    if mode == "gets":
        print(asyncio.run(gets(int(args[1]), int(args[2]), int(args[3]))))
    else:
        print(asyncio.run(download(int(args[1]), int(args[2]), args[3], ca)))


if __name__ == "__main__":
    main()
