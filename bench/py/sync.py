# The Python anchor of the sync benchmark: asyncio.Semaphore(limit) + gather over N jobs, each
# yielding once (asyncio.sleep(0)).
# Usage: /usr/bin/python3 bench/py/sync.py [asyncio|uvloop] [N] [LIMIT] -> prints wall=.. cpu=.. (median ms)
import sys

# Never let a file next to this script shadow the standard library (bench/py/subprocess.py
# would otherwise replace the `subprocess` module that asyncio imports).
sys.path.pop(0)

import asyncio, statistics, time  # noqa: E402

loop_kind = sys.argv[1] if len(sys.argv) > 1 else "asyncio"
n = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
limit = int(sys.argv[3]) if len(sys.argv) > 3 else 64

async def main():
    walls, cpus = [], []
    for i in range(5):
        sem = asyncio.Semaphore(limit)

        async def job(i):
            async with sem:
                await asyncio.sleep(0)
                return i

        t = time.perf_counter()
        c = time.process_time()
        await asyncio.gather(*[job(i) for i in range(n)])
        if i >= 1:
            walls.append((time.perf_counter() - t) * 1000)
            cpus.append((time.process_time() - c) * 1000)
    print(f"wall={statistics.median(walls):.2f} cpu={statistics.median(cpus):.2f}")

if loop_kind == "uvloop":
    import uvloop
    uvloop.install()
asyncio.run(main())
