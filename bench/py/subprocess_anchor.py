# The Python anchors of the subprocess benchmark (not named subprocess.py: that would shadow the
# stdlib module for every script in bench/py) (asyncio's own API, as the seed uses it).
# Usage: /usr/bin/python3 bench/py/subprocess_anchor.py spawn|lines asyncio|uvloop N
#   spawn: N x `true`, 4 at a time;  lines: `seq N` read with readline() and decoded
# Prints "wall=<ms> cpu=<ms>" (medians of 3 runs after a warm-up).
import asyncio, statistics, sys, time

mode, loop_kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])

async def spawn_all():
    sem = asyncio.Semaphore(4)
    async def one():
        async with sem:
            proc = await asyncio.create_subprocess_exec("true")
            await proc.wait()
    await asyncio.gather(*[one() for _ in range(n)])

async def read_lines():
    proc = await asyncio.create_subprocess_exec("seq", str(n), stdout=asyncio.subprocess.PIPE)
    count = 0
    while True:
        line = await proc.stdout.readline()
        if not line:
            break
        line.decode()
        count += 1
    await proc.wait()
    assert count == n, count

async def main():
    fn = spawn_all if mode == "spawn" else read_lines
    walls, cpus = [], []
    for i in range(4):
        t = time.perf_counter()
        c = time.process_time()
        await fn()
        if i >= 1:
            walls.append((time.perf_counter() - t) * 1000)
            cpus.append((time.process_time() - c) * 1000)
    print(f"wall={statistics.median(walls):.2f} cpu={statistics.median(cpus):.2f}")

if loop_kind == "uvloop":
    import uvloop
    uvloop.install()
asyncio.run(main())
