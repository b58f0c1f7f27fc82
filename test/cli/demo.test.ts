import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, test } from "node:test";
import { runMain } from "../../src/cli/main.js";
import { Timeline } from "../../src/cli/demo/timeline.js";
import { FLAKY_PAGE } from "../../src/cli/demo/servers.js";
import { pyRepr } from "../../src/cli/demo/section.js";
import { withoutLeaks } from "../_helpers/leaks.js";
import { fakeIO } from "./_io.js";

interface SectionResult {
  section: number;
  ok: boolean;
  output: string[];
  evidence: Record<string, unknown>;
  timeline: { name: string; startMs: number; activeMs?: number; endMs?: number; failed: boolean; cancelled: boolean }[];
}

/** Runs one section in-process with --json, checking that it leaves nothing behind. */
async function section(id: number): Promise<SectionResult> {
  return withoutLeaks(async () => {
    const io = fakeIO();
    const code = await runMain(["demo", "--section", String(id), "--json"], io);
    assert.equal(code, 0, io.err() + io.out());
    const lines = io.out().trim().split("\n");
    assert.equal(lines.length, 1, "one JSON object per section");
    const result = JSON.parse(lines[0]!) as SectionResult;
    assert.equal(result.section, id);
    assert.equal(result.ok, true);
    return result;
  });
}

const num = (value: unknown): number => {
  assert.equal(typeof value, "number");
  return value as number;
};

/**
 * Whether this process can start worker threads with its own execArgv. Under `node --test` on
 * Node 24 the test process carries flags that Worker refuses (ERR_WORKER_INVALID_EXEC_ARGV), and
 * taskio's thread pool passes them on: section 5 then runs as a real process instead
 * (demo-tour.test.ts), where it works.
 */
describe("taskio demo, section by section (in-process, --json)", () => {
  test("1 gather: the three workers overlap", async () => {
    const { evidence, output, timeline } = await section(1);
    assert.deepEqual(evidence["results"], [["A", 1.5], ["B", 1], ["C", 0.5]]);
    assert.ok(num(evidence["elapsedMs"]) < 2500, "far below the 3 s sum of the waits");
    assert.deepEqual(output.slice(3, 6), ["C finished after 0.5s", "B finished after 1s", "A finished after 1.5s"]);
    assert.deepEqual(timeline.map((s) => s.name), ["A", "B", "C"]);
  });

  test("2 await using: the resource is closed even when the block throws; AsyncExitStack unwinds in reverse", async () => {
    const { evidence } = await section(2);
    assert.deepEqual(evidence["events"], ["Opening resource...", "Resource opened", "Using resource...", "Closing resource...", "Resource closed"]);
    assert.equal(evidence["closedAfterError"], true);
    assert.deepEqual(evidence["closedOrder"], ["socket", "cache", "db"]);
  });

  test("3 aiofiles: the seed's three files, their sizes, and the temporary folder is gone", async () => {
    const { evidence, output } = await section(3);
    assert.deepEqual(output.slice(0, 3), ["example1.txt: 22 bytes", "example2.txt: 162 bytes", "example3.txt: 200 bytes"]);
    assert.equal(evidence["sizesMatch"], true);
    assert.equal(existsSync(evidence["dir"] as string), false, "temporary folder removed");
  });

  test("4 aiohttp + asCompleted: results in completion order", async () => {
    const { evidence, output } = await section(4);
    assert.deepEqual(evidence["order"], ["example2.json", "example3.json", "example1.json"]);
    assert.match(output[0]!, /^http:\/\/127\.0\.0\.1:\d+\/json\/example2\.json -> 200, \d+ bytes$/);
  });

  test("5 runInExecutor: 1 s + 2 s of blocking done in about 2 s, the loop kept beating, cancellation stopped the worker", async () => {
    const { evidence } = await section(5);
    assert.deepEqual(evidence["results"], ["slept 1s", "slept 2s"]);
    assert.ok(num(evidence["elapsedMs"]) >= 1900 && num(evidence["elapsedMs"]) < 2900, `elapsed ${String(evidence["elapsedMs"])}`);
    assert.ok(num(evidence["heartbeats"]) >= 5, "the event loop was free meanwhile");
    assert.equal(evidence["cancelTimedOut"], true);
    assert.equal(evidence["primes"], 25997, "primes below 300000, counted in child processes");
    assert.ok(!(evidence["processPids"] as number[]).includes(process.pid));
  });

  test("6 echo server: every client gets its message back", async () => {
    const { evidence, output } = await section(6);
    assert.equal(evidence["echoesMatch"], true);
    assert.equal(evidence["bytesEchoed"], Buffer.byteLength("Hello World!Halo Dunia!Bonjour le monde !"));
    assert.ok(num(evidence["peakConnections"]) >= 1);
    assert.match(output[0]!, /^Serving on \('127\.0\.0\.1', \d+\)$/);
    assert.equal(output.filter((line) => line.startsWith("Connection closed")).length, 3);
  });

  test("7 streaming download: every byte served is on disk, and memory grew by less than the body", async () => {
    const { evidence } = await section(7);
    const served = num(evidence["bytesServed"]);
    assert.equal(served, 64 * 1024 * 1024);
    assert.equal(evidence["bytesWritten"], served);
    assert.equal(evidence["downloadBytes"], served);
    // Live buffer memory (after a GC) at each quarter: a buffered body would hold 16/32/48/64 MiB.
    const live = evidence["liveAtQuartersBytes"] as number[];
    assert.equal(live.length, 4);
    // (Generous: the HTTP read path sometimes keeps one 16-32 MiB store alive; a held body is 64 MiB.)
    assert.ok(live[3]! < 48 * 1024 * 1024, `live ${live.join(", ")}`);
    assert.ok(num(evidence["peakRssBytes"]) >= num(evidence["rssBeforeBytes"]));
    assert.equal(existsSync(evidence["dest"] as string), false, "the downloaded file was removed with the folder");
  });

  test("8 subprocess: the version line, and the ticker's lines arriving as they are printed", async () => {
    const { evidence } = await section(8);
    assert.deepEqual(evidence["returncodes"], [0, 0]);
    assert.equal(evidence["version"], process.version);
    const lines = evidence["lines"] as { name: string; stream: string; line: string }[];
    const ticks = lines.filter((l) => l.name === "ticker");
    assert.deepEqual(ticks.map((t) => `${t.stream} ${t.line}`), ["stdout tick 1", "stderr tick 2", "stdout tick 3", "stderr tick 4"]);
    assert.ok(num(evidence["tickSpreadMs"]) >= 150, "lines arrived over time, not at exit");
  });

  test("9 waitFor: the timeout fired at 2 s and the task's finally ran", async () => {
    const { evidence, output, timeline } = await section(9);
    assert.deepEqual(output[0], "Task timed out");
    assert.equal(evidence["timedOut"], true);
    assert.equal(evidence["innerCleanedUp"], true);
    assert.ok(num(evidence["elapsedMs"]) >= 1900 && num(evidence["elapsedMs"]) < 4500);
    assert.equal(timeline[0]?.failed, true);
    assert.equal(evidence["movedOnResult"], null);
    assert.ok(num(evidence["movedOnMs"]) >= 190 && num(evidence["movedOnMs"]) < 1000);
    assert.equal(evidence["taskCancelled"], true);
    assert.deepEqual(timeline.map((s) => [s.name, s.cancelled]), [["slow_task", true], ["move_on", true], ["cancelled", true]]);
  });

  test("10 Semaphore(3): never more than three requests at once, ten in four waves", async () => {
    const { evidence, timeline } = await section(10);
    assert.equal(evidence["peakConcurrency"], 3);
    assert.ok(num(evidence["serverPeak"]) <= 3);
    assert.deepEqual(evidence["statuses"], Array<number>(10).fill(200));
    assert.ok(num(evidence["elapsedMs"]) >= 350, "four waves of 100 ms");
    assert.equal(timeline.length, 10);
    assert.ok(timeline.filter((s) => s.activeMs !== undefined && s.activeMs - s.startMs > 50).length >= 6, "most waited for a permit");
  });

  test("11 retry: two failures, two backoff waits, then the page", async () => {
    const { evidence, output } = await section(11);
    assert.equal(evidence["retries"], 2);
    assert.equal(evidence["attempts"], 3);
    assert.equal(evidence["fetchedLength"], FLAKY_PAGE.length);
    assert.equal((evidence["delaysMs"] as number[]).length, 2);
    assert.equal(evidence["sessionStatus"], 200);
    assert.equal(evidence["sessionRequests"], 3);
    assert.match(output[0]!, /^Attempt 1 failed: .*503/);
    assert.ok(output.includes(`Fetched length: ${FLAKY_PAGE.length}`));
  });

  test("12 debugging: names, the dump of what each task waits on, the lost error reported", async () => {
    const { evidence, output } = await section(12);
    for (const name of ["writer", "reader", "consumer"]) assert.ok((evidence["liveTasks"] as string[]).includes(name));
    assert.equal(evidence["waitingTasks"], 3);
    assert.match(evidence["dump"] as string, /Task 'reader' pending, .*waiting on .*Lock/);
    assert.deepEqual(evidence["reported"], [
      { message: "Task exception was never retrieved", taskName: "refresh-cache", error: "connection refused by the database" },
    ]);
    assert.ok(output.includes("[writer] holding the lock for 200 ms"));
    const slow = evidence["slowCallbacks"] as { durationMs: number; taskName: string }[];
    assert.ok(slow.some((r) => r.taskName === "parse" && r.durationMs >= 140), JSON.stringify(slow));
    assert.equal(evidence["creationStackRecorded"], true);
  });

  test("13 performance: mapConcurrent keeps live tasks bounded", async () => {
    const { evidence } = await section(13);
    const bounded = evidence["bounded"] as { peakTasks: number; heapGrowthBytes: number };
    const unbounded = evidence["unbounded"] as { peakTasks: number; heapGrowthBytes: number };
    assert.ok(unbounded.heapGrowthBytes > bounded.heapGrowthBytes + 1024 * 1024, "5000 live tasks hold more heap than 64");
    assert.ok(bounded.peakTasks <= 64 + 2, `bounded ${bounded.peakTasks}`);
    assert.ok(unbounded.peakTasks >= 5000, `unbounded ${unbounded.peakTasks}`);
  });
});

describe("taskio demo output", () => {
  test("text mode: a header, the evidence, and a unicode timeline on a TTY", async () => {
    await withoutLeaks(async () => {
      const io = fakeIO({ tty: true });
      assert.equal(await runMain(["demo", "--section", "10"], io), 0);
      const out = io.out();
      assert.match(out, /== 10\. concurrency limits: Semaphore\(3\) ==/);
      assert.match(out, /evidence: peak concurrency 3 under Semaphore\(3\)/);
      assert.match(out, /timeline:\n {2}fetch-1 {2}\|[█░·]+\| 0\.\d\ds/);
      assert.match(out, /░ waiting {2}█ running/);
      assert.match(out, /tour finished in \d+\.\d\ds: all 1 ran/);
    });
  });

  test("the timeline draws waits, work and failures on a shared axis (ASCII)", () => {
    const timeline = new Timeline();
    timeline.spans.push(
      { name: "a", start: 100, active: undefined, end: 1100, failed: false },
      { name: "bb", start: 100, active: 600, end: 1100, failed: false },
      { name: "c", start: 350, active: undefined, end: 600, failed: true },
    );
    assert.equal(
      timeline.render({ width: 20 }),
      [
        "  a  |####################| 1.00s",
        "  bb |----------##########| 1.00s",
        "  c  |.....####x..........| 0.25s (failed)",
        "      +----+----+----+----",
        "      0s             1.00s",
        "  - waiting  # running   x ended with an error or a cancellation",
      ].join("\n"),
    );
    assert.equal(new Timeline().render(), "");
    const quick = new Timeline();
    quick.spans.push({ name: "q", start: 0, active: undefined, end: 12.34, failed: false });
    assert.match(quick.render({ unicode: true }), /^ {2}q \|█{50}\| 12\.3ms\n/);
  });

  test("results print as Python prints them", () => {
    assert.equal(pyRepr([["A", 1.5], ["B", 1]]), "[('A', 1.5), ('B', 1)]");
    assert.equal(pyRepr(["slept 1s", "it's"]), "['slept 1s', 'it\\'s']");
    assert.equal(pyRepr([[1]]), "[(1,)]");
  });

  test("several sections: repeated or comma-separated, in the order given", async () => {
    await withoutLeaks(async () => {
      const io = fakeIO();
      assert.equal(await runMain(["demo", "--section", "3,2", "--section", "3", "--json"], io), 0);
      const ids = io.out().trim().split("\n").map((line) => (JSON.parse(line) as { section: number }).section);
      assert.deepEqual(ids, [3, 2, 3]);
    });
  });

  test("a section that fails is reported, the others still run, and the exit code is 1", async () => {
    await withoutLeaks(async () => {
      // No temporary folder can be made under a missing TMPDIR: section 3 fails, section 2 does not need one.
      const saved = process.env["TMPDIR"];
      process.env["TMPDIR"] = "/nonexistent/taskio-demo-test";
      try {
        const io = fakeIO();
        assert.equal(await runMain(["demo", "--section", "3,2", "--json"], io), 1);
        const [failed, passed] = io.out().trim().split("\n").map((line) => JSON.parse(line) as { section: number; ok: boolean; error?: string });
        assert.equal(failed?.section, 3);
        assert.equal(failed?.ok, false);
        assert.match(failed?.error ?? "", /ENOENT/);
        assert.deepEqual([passed?.section, passed?.ok], [2, true]);
        const text = fakeIO();
        assert.equal(await runMain(["demo", "--section", "3"], text), 1);
        assert.match(text.out(), /section 3 FAILED: ENOENT/);
        assert.match(text.out(), /1 of 1 FAILED/);
      } finally {
        if (saved === undefined) delete process.env["TMPDIR"];
        else process.env["TMPDIR"] = saved;
      }
    });
  });

  test("--section must name a section", async () => {
    const io = fakeIO();
    assert.equal(await runMain(["demo", "--section", "0"], io), 2);
    assert.match(io.err(), /^taskio: Expected --section to be an integer from 1 to 13: received "0"\n$/);
  });
});
