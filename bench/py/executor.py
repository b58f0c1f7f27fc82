# The Python anchors of the executor benchmark: run_in_executor of N CPU-bound ~1 ms calls on a
# ProcessPoolExecutor(W) or ThreadPoolExecutor(W).
# Usage: /usr/bin/python3 bench/py/executor.py [process|thread|process-startup] [N] [W] -> prints ms
import os, sys
# bench/py/ holds other anchors (subprocess.py...) that would shadow the standard library.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != _here]
import asyncio, math, statistics, time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

def cpu_work(iterations):
    x = 0.0
    for i in range(iterations):
        x = (x + math.sqrt(i * 1.0001)) % 1e9
    return x

def noop():
    return 0

def calibrate():
    iterations = 10000
    for _ in range(4):
        times = []
        for _ in range(50):
            t = time.perf_counter()
            cpu_work(iterations)
            times.append((time.perf_counter() - t) * 1000)
        iterations = round(iterations / statistics.median(times))
    return iterations

async def main(kind, n, workers):
    loop = asyncio.get_running_loop()
    if kind == "process-startup":
        t = time.perf_counter()
        with ProcessPoolExecutor(workers) as pool:
            await loop.run_in_executor(pool, noop)
            print(f"{(time.perf_counter() - t) * 1000:.2f}")
        return
    iterations = calibrate()
    Pool = ProcessPoolExecutor if kind == "process" else ThreadPoolExecutor
    with Pool(workers) as pool:
        await asyncio.gather(*[loop.run_in_executor(pool, cpu_work, iterations) for _ in range(workers * 2)])
        t = time.perf_counter()
        await asyncio.gather(*[loop.run_in_executor(pool, cpu_work, iterations) for _ in range(n)])
        elapsed = (time.perf_counter() - t) * 1000
    print(f"{elapsed:.2f}")

if __name__ == "__main__":
    kind = sys.argv[1] if len(sys.argv) > 1 else "process"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    asyncio.run(main(kind, n, workers))
