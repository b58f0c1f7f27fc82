import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CancelledError, createTask, isCancelled, run, sleep } from "../src/index.js";
import { retry, type RetryInfo } from "../src/retry.js";
import { MockClock } from "../src/testing/mock-clock.js";
import { withoutLeaks } from "./_helpers/leaks.js";

function virtual<T>(main: (clock: MockClock) => Promise<T>): Promise<T> {
  const clock = new MockClock({ autojump: true });
  return withoutLeaks(() => run(() => main(clock), { clock }));
}

void describe("retry", () => {
  void test("returns the first success and passes the attempt number", () =>
    virtual(async (clock) => {
      const seen: number[] = [];
      const value = await retry(
        async (attempt) => {
          seen.push(attempt);
          if (attempt < 3) throw new Error(`fail ${attempt}`);
          return "ok";
        },
        { attempts: 5, baseDelay: 100, jitter: "none" },
      );
      assert.equal(value, "ok");
      assert.deepEqual(seen, [1, 2, 3]);
      assert.equal(clock.now(), 100 + 200);
    }));

  void test("re-throws the last error unchanged after the last attempt", () =>
    virtual(async (clock) => {
      const errors: Error[] = [];
      const rejection = retry(
        async (attempt) => {
          const error = new Error(`fail ${attempt}`);
          errors.push(error);
          throw error;
        },
        { attempts: 3, baseDelay: 10, factor: 3, jitter: "none" },
      );
      await assert.rejects(rejection, (error) => error === errors[2]);
      assert.equal(errors.length, 3);
      assert.equal(clock.now(), 10 + 30);
    }));

  void test("exponential delays are capped by maxDelay", () =>
    virtual(async () => {
      const delays: number[] = [];
      await assert.rejects(
        retry(
          () => {
            throw new Error("x");
          },
          {
            attempts: 6,
            baseDelay: 100,
            factor: 2,
            maxDelay: 500,
            jitter: "none",
            onRetry: (info) => delays.push(info.delay),
          },
        ),
        /x/,
      );
      assert.deepEqual(delays, [100, 200, 400, 500, 500]);
    }));

  void test("full and equal jitter use the random source", () =>
    virtual(async () => {
      const full: number[] = [];
      const equal: number[] = [];
      const fail = (): never => {
        throw new Error("x");
      };
      await assert.rejects(
        retry(fail, { attempts: 3, baseDelay: 100, random: () => 0.25, onRetry: (i) => full.push(i.delay) }),
      );
      await assert.rejects(
        retry(fail, {
          attempts: 3,
          baseDelay: 100,
          jitter: "equal",
          random: () => 0.5,
          onRetry: (i) => equal.push(i.delay),
        }),
      );
      assert.deepEqual(full, [25, 50]);
      assert.deepEqual(equal, [75, 150]);
    }));

  void test("default jitter with Math.random stays within [0, computed)", () =>
    virtual(async () => {
      const delays: number[] = [];
      await assert.rejects(
        retry(
          () => {
            throw new Error("x");
          },
          { attempts: 4, baseDelay: 100, onRetry: (i) => delays.push(i.delay) },
        ),
      );
      assert.equal(delays.length, 3);
      delays.forEach((d, i) => assert.ok(d >= 0 && d <= 100 * 2 ** i, `delay ${d}`));
    }));

  void test("onRetry sees attempt, attempts, error and delay", () =>
    virtual(async () => {
      const infos: RetryInfo[] = [];
      const boom = new Error("boom");
      await retry(
        async (attempt) => {
          if (attempt === 1) throw boom;
          return 1;
        },
        { attempts: 2, baseDelay: 7, jitter: "none", onRetry: (info) => infos.push(info) },
      );
      assert.deepEqual(infos, [{ attempt: 1, attempts: 2, error: boom, delay: 7 }]);
    }));

  void test("retryIf false re-throws at once", () =>
    virtual(async (clock) => {
      let calls = 0;
      const fatal = new TypeError("fatal");
      await assert.rejects(
        retry(
          async () => {
            calls++;
            throw fatal;
          },
          { attempts: 10, retryIf: (error, attempt) => !(error instanceof TypeError) && attempt < 5 },
        ),
        (error) => error === fatal,
      );
      assert.equal(calls, 1);
      assert.equal(clock.now(), 0);
    }));

  void test("delayFor overrides the backoff (Retry-After), undefined falls back", () =>
    virtual(async (clock) => {
      const delays: number[] = [];
      await retry(
        async (attempt) => {
          if (attempt < 3) throw Object.assign(new Error("busy"), { retryAfter: attempt === 1 ? 60_000 : undefined });
          return "done";
        },
        {
          attempts: 3,
          baseDelay: 100,
          maxDelay: 1000,
          jitter: "none",
          delayFor: (error) => (error as { retryAfter?: number }).retryAfter,
          onRetry: (i) => delays.push(i.delay),
        },
      );
      assert.deepEqual(delays, [60_000, 200]);
      assert.equal(clock.now(), 60_200);
    }));

  void test("delayFor returning garbage is refused, naming it", () =>
    virtual(async () => {
      await assert.rejects(
        retry(
          () => {
            throw new Error("x");
          },
          { delayFor: () => -5 },
        ),
        { name: "RangeError", message: /'delayFor'/ },
      );
    }));

  void test("attempts: 1 never sleeps", () =>
    virtual(async (clock) => {
      await assert.rejects(
        retry(
          () => {
            throw new Error("once");
          },
          { attempts: 1 },
        ),
        /once/,
      );
      assert.equal(clock.now(), 0);
    }));

  void test("synchronous fn values and throws are accepted", () =>
    virtual(async () => {
      assert.equal(await retry(() => 5), 5);
    }));

  void test("cancelling the task during the backoff sleep stops retrying", () =>
    virtual(async (clock) => {
      let calls = 0;
      const task = createTask(() =>
        retry(
          async () => {
            calls++;
            throw new Error("fail");
          },
          { attempts: 5, baseDelay: 1000, jitter: "none" },
        ),
      );
      await sleep(500);
      task.cancel();
      await assert.rejects(task, CancelledError);
      assert.equal(calls, 1);
      assert.equal(clock.now(), 500);
    }));

  void test("cancellation inside an attempt is never retried", () =>
    virtual(async () => {
      let calls = 0;
      const task = createTask(() =>
        retry(
          async () => {
            calls++;
            await sleep(10_000);
          },
          { attempts: 5 },
        ),
      );
      await sleep(1);
      task.cancel();
      await assert.rejects(task, (e) => isCancelled(e));
      assert.equal(calls, 1);
    }));

  void test("an aborted signal stops the sleep and further attempts", () =>
    virtual(async (clock) => {
      const controller = new AbortController();
      let calls = 0;
      const promise = retry(
        async () => {
          calls++;
          throw new Error("fail");
        },
        { attempts: 5, baseDelay: 1000, jitter: "none", signal: controller.signal },
      );
      await sleep(300);
      controller.abort(new Error("stop"));
      await assert.rejects(promise, /stop/);
      assert.equal(calls, 1);
      assert.equal(clock.now(), 300);
    }));

  void test("an already aborted signal never calls fn", async () => {
    let calls = 0;
    await assert.rejects(
      retry(
        async () => {
          calls++;
        },
        { signal: AbortSignal.abort(new Error("early")) },
      ),
      /early/,
    );
    assert.equal(calls, 0);
  });

  void test("works outside run() with real (tiny) delays", () =>
    withoutLeaks(async () => {
      let calls = 0;
      const value = await retry(
        async () => {
          if (++calls < 3) throw new Error("again");
          return calls;
        },
        { baseDelay: 1, jitter: "none" },
      );
      assert.equal(value, 3);
    }));

  void test("validation errors name the option", async () => {
    const ok = async (): Promise<number> => 1;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ attempts: 0 }, /'attempts'/],
      [{ attempts: 1.5 }, /'attempts'/],
      [{ attempts: "3" }, /'attempts'/],
      [{ baseDelay: -1 }, /'baseDelay'/],
      [{ baseDelay: Infinity }, /'baseDelay'/],
      [{ factor: 0.5 }, /'factor'/],
      [{ maxDelay: NaN }, /'maxDelay'/],
      [{ jitter: "half" }, /'jitter'/],
      [{ retryIf: true }, /'retryIf'/],
      [{ onRetry: 1 }, /'onRetry'/],
      [{ delayFor: "x" }, /'delayFor'/],
      [{ signal: {} }, /'signal'/],
      [{ random: 3 }, /'random'/],
    ];
    for (const [options, pattern] of cases) {
      await assert.rejects(retry(ok, options as never), pattern, JSON.stringify(options));
    }
    await assert.rejects(retry(1 as never), /'fn'/);
  });

  void test("attempts: Infinity retries until success", () =>
    virtual(async () => {
      const value = await retry(
        async (attempt) => {
          if (attempt < 20) throw new Error("not yet");
          return attempt;
        },
        { attempts: Infinity, baseDelay: 1, maxDelay: 10 },
      );
      assert.equal(value, 20);
    }));
});
