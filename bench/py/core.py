# The Python anchor of the core benchmark: asyncio.gather of N trivial coroutines.
# Usage: /usr/bin/python3 bench/py/core.py [asyncio|uvloop] [N]  -> prints the median ms
import asyncio, statistics, sys, time

loop_kind = sys.argv[1] if len(sys.argv) > 1 else "asyncio"
n = int(sys.argv[2]) if len(sys.argv) > 2 else 100000

async def trivial():
    return 1

async def main():
    walls, cpus = [], []
    for i in range(7):
        t = time.perf_counter()
        c = time.process_time()
        await asyncio.gather(*[trivial() for _ in range(n)])
        if i >= 2:
            walls.append((time.perf_counter() - t) * 1000)
            cpus.append((time.process_time() - c) * 1000)
    print(f"wall={statistics.median(walls):.2f} cpu={statistics.median(cpus):.2f}")

if loop_kind == "uvloop":
    import uvloop
    uvloop.install()
asyncio.run(main())
