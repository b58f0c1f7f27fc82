# The Python anchor of the files benchmark: the seed's aiofiles pattern, N files read with gather.
# Usage: /usr/bin/python3 bench/py/files.py DIR [N]  -> prints "wall=<ms> cpu=<ms>" (medians)
import asyncio, statistics, sys, time
import aiofiles

directory = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 5000

async def read_file(path):
    async with aiofiles.open(path, mode="r", encoding="utf-8") as f:
        contents = await f.read()
    return len(contents)

async def main():
    paths = [f"{directory}/f{i}.txt" for i in range(n)]
    walls, cpus = [], []
    for i in range(7):
        t = time.perf_counter()
        c = time.process_time()
        await asyncio.gather(*[read_file(p) for p in paths])
        if i >= 2:
            walls.append((time.perf_counter() - t) * 1000)
            cpus.append((time.process_time() - c) * 1000)
    print(f"wall={statistics.median(walls):.2f} cpu={statistics.median(cpus):.2f}")

asyncio.run(main())
