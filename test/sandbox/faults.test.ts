import { request } from "undici";
import { describe, expect, it } from "vitest";
import type { Sandbox, SandboxOptions } from "../../src/sandbox/index.js";
import { FaultPlan } from "../../src/sandbox/faults.js";
import { call, KEY, NUMBER, SESSION_PATH, sandbox, session } from "./helpers.js";

const inWindow = { inbound: [{ from: NUMBER }] };

/**
 * One letter per request, sent one after another: "." 200, "F" 500 not recorded, "A" 500 but
 * recorded (accept-then-fail), "R" connection reset, "H" left hanging.
 */
async function outcomes(box: Sandbox, n: number): Promise<string> {
  let letters = "";
  for (let i = 0; i < n; i++) {
    const before = box.messages().length;
    // The client gives up as soon as the sandbox has decided to hang, not after a timeout that a
    // loaded machine could hit on an ordinary request.
    const hangsBefore = box.stats().hangs;
    const giveUp = new AbortController();
    const watch = setInterval(() => {
      if (box.stats().hangs > hangsBefore) giveUp.abort();
    }, 5);
    try {
      const response = await request(`${box.url}${SESSION_PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": KEY },
        body: JSON.stringify(session()),
        signal: giveUp.signal,
      });
      const body = (await response.body.json()) as { code?: string };
      const recorded = box.messages().length > before;
      if (response.statusCode === 200 && recorded) letters += ".";
      else if (response.statusCode === 500 && body.code === "ERROR_CODE_UNSPECIFIED") letters += recorded ? "A" : "F";
      else letters += `?${response.statusCode}`;
    } catch (error) {
      const { code } = error as { code?: string };
      if (giveUp.signal.aborted) letters += "H";
      else if (code === "UND_ERR_SOCKET" || code === "ECONNRESET") letters += "R";
      else throw error;
    } finally {
      clearInterval(watch);
    }
  }
  return letters;
}

async function run(options: SandboxOptions, n: number): Promise<string> {
  return outcomes(await sandbox({ ...inWindow, ...options }), n);
}

describe("faults, seeded", () => {
  it("--fail-rate: 500 ERROR_CODE_UNSPECIFIED, nothing recorded; the same seed gives the same run", async () => {
    const expected = "...FFF.F..F.......F.";
    expect(await run({ seed: 7, failRate: 0.3 }, 20)).toBe(expected);
    expect(await run({ seed: 7, failRate: 0.3 }, 20)).toBe(expected);
    expect(await run({ seed: 8, failRate: 0.3 }, 20)).toBe("..FF.......F.F..F...");
  });

  it("--fail-rate 1 fails everything, 0 nothing", async () => {
    expect(await run({ failRate: 1 }, 5)).toBe("FFFFF");
    expect(await run({ failRate: 0 }, 5)).toBe(".....");
  });

  it("--reset-rate: the connection is destroyed before any response", async () => {
    const box = await sandbox({ ...inWindow, seed: 3, resetRate: 0.4 });
    expect(await outcomes(box, 10)).toBe("R.RR..R...");
    expect(box.stats()).toMatchObject({ resets: 4, accepted: 6, byStatus: { "200": 6 } });
  });

  it("--hang-rate: no answer until the client times out", async () => {
    const box = await sandbox({ ...inWindow, seed: 5, hangRate: 0.4 });
    expect(await outcomes(box, 6)).toBe("H..H..");
    expect(box.stats()).toMatchObject({ hangs: 2, accepted: 4 });
  });

  it("--accept-then-fail=P: recorded as accepted, answered 500", async () => {
    const box = await sandbox({ ...inWindow, seed: 11, acceptThenFail: 0.5 });
    expect(await outcomes(box, 10)).toBe(".A.AA.A.A.");
    expect(box.messages()).toHaveLength(10);
    expect(box.stats()).toMatchObject({ accepted: 10, byStatus: { "200": 5, "500": 5 } });
  });

  it("--accept-then-fail alone: every accepted message is answered 500", async () => {
    const box = await sandbox({ ...inWindow, acceptThenFail: true });
    expect(await outcomes(box, 3)).toBe("AAA");
    // A message that is not accepted is rejected as usual, not failed.
    expect((await call(box, SESSION_PATH, { body: session({ text: "" }) })).status).toBe(400);
  });

  it("all faults together keep their exact sequence", async () => {
    const options = { seed: 42, failRate: 0.2, resetRate: 0.1, hangRate: 0.1, acceptThenFail: 0.2 };
    const expected = "A.AFRA.R...ARRA...FFFF...F....";
    expect(await run(options, 30)).toBe(expected);
    expect(await run(options, 30)).toBe(expected);
  });

  it("faults come after the key check", async () => {
    const box = await sandbox({ ...inWindow, failRate: 1 });
    expect((await call(box, SESSION_PATH, { body: session(), headers: { "x-api-key": "wrong" } })).status).toBe(401);
    expect((await call(box, "/__sandbox/stats", { method: "GET" })).status).toBe(200);
  });
});

describe("latency", () => {
  async function timed(box: Sandbox): Promise<number> {
    const started = performance.now();
    expect((await call(box, SESSION_PATH, { body: session() })).status).toBe(200);
    return performance.now() - started;
  }

  it("--latency delays every answer", async () => {
    const box = await sandbox({ ...inWindow, latencyMs: 100 });
    expect(await timed(box)).toBeGreaterThanOrEqual(98);
  });

  it("--jitter varies it within ±jitter, repeatably", async () => {
    const plan = new FaultPlan({ seed: 9, latencyMs: 50, jitterMs: 40, failRate: 0, resetRate: 0, hangRate: 0, acceptThenFailRate: 0 });
    const delays = Array.from({ length: 200 }, () => plan.draw().delayMs);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...delays)).toBeLessThanOrEqual(90);
    expect(delays.slice(0, 2).map((d) => Math.round(d))).toEqual([26, 65]);
    const box = await sandbox({ ...inWindow, seed: 9, latencyMs: 50, jitterMs: 40 });
    expect(await timed(box)).toBeGreaterThanOrEqual(24);
    expect(await timed(box)).toBeGreaterThanOrEqual(63);
  });

  it("never goes below zero", () => {
    const plan = new FaultPlan({ seed: 1, latencyMs: 5, jitterMs: 50, failRate: 0, resetRate: 0, hangRate: 0, acceptThenFailRate: 0 });
    expect(Math.min(...Array.from({ length: 100 }, () => plan.draw().delayMs))).toBe(0);
  });
});
