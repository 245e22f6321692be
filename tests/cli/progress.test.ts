import { afterEach, describe, expect, it, vi } from "vitest";
import { formatDuration, formatRate, Progress } from "../../ts-wrapper/cli/progress.js";

class FakeStream {
  chunks: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns?: number,
  ) {}
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  get text(): string {
    return this.chunks.join("");
  }
}

class FakeClock {
  constructor(public t = 12_345) {}
  now = (): number => this.t;
}

/** m:ss, written out here so the expectation does not reuse the code under test. */
const mss = (s: number) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;

afterEach(() => vi.restoreAllMocks());

describe("Progress on a TTY", () => {
  it("redraws one line with \\r, showing bar, percent, counts, rate and ETA from the clock", () => {
    const stream = new FakeStream(true);
    const clock = new FakeClock();
    const p = new Progress({ label: "epoch 1", total: 60_000, stream, now: clock.now });
    const STEP_MS = 2000; // each 1000-sample tick takes 2 s: slow enough that every tick redraws
    for (let i = 1; i <= 27; i++) {
      clock.t += STEP_MS;
      p.tick(1000, i === 27 ? "loss 0.31" : undefined);
    }
    // 27000 samples in 54 s is 500 samples/s; 33000 left at that rate take 66 s.
    const elapsed = (27 * STEP_MS) / 1000;
    const rate = 27_000 / elapsed;
    const eta = Math.round((60_000 - 27_000) / rate);
    expect(rate).toBe(500);
    expect(mss(eta)).toBe("1:06");
    const last = stream.chunks.at(-1)!;
    expect(last).toBe(`\repoch 1 [#########-----------] 45% 27000/60000 500 samples/s ETA ${mss(eta)} loss 0.31`);
    expect(stream.chunks).toHaveLength(27);
    expect(stream.text).not.toContain("\n");

    clock.t += 66_000;
    p.tick(33_000);
    p.done("test accuracy 97.1%");
    expect(stream.chunks.at(-2)).toMatch(
      /^\repoch 1 \[#{20}\] 100% 60000\/60000 500 samples\/s in 2:00 test accuracy 97\.1% *$/,
    );
    expect(stream.chunks.at(-1)).toBe("\n");
    p.done();
    p.tick();
    expect(stream.chunks.at(-1)).toBe("\n"); // done() is final
  });

  it("throttles redraws to about 10 per second", () => {
    const stream = new FakeStream(true);
    const clock = new FakeClock();
    const p = new Progress({ label: "train", total: 1000, stream, now: clock.now, unit: "images" });
    for (let i = 0; i < 1000; i++) {
      clock.t += 1; // 1000 ticks over one second
      p.tick();
    }
    expect(stream.chunks.length).toBeGreaterThanOrEqual(9);
    expect(stream.chunks.length).toBeLessThanOrEqual(11);
    expect(stream.chunks.every((c) => c.startsWith("\r"))).toBe(true);
    expect(stream.text).toContain("images/s");
  });

  it("erases leftovers of a longer previous line and fits the terminal width", () => {
    const stream = new FakeStream(true, 80);
    const clock = new FakeClock();
    const p = new Progress({ label: "x", total: 10, stream, now: clock.now });
    clock.t += 500;
    p.tick(1, "a".repeat(100));
    clock.t += 500;
    p.tick(1, "b");
    const [first, second] = stream.chunks.map((c) => c.slice(1));
    expect(first).toHaveLength(79);
    expect(second).toHaveLength(79);
    expect(second).toMatch(/ b +$/);
  });

  it("shows --:-- for the ETA before any time has passed", () => {
    const stream = new FakeStream(true);
    const p = new Progress({ label: "x", total: 10, stream, now: () => 0 });
    p.tick(1);
    expect(stream.text).toBe("\rx [##------------------] 10% 1/10 -- samples/s ETA --:--");
  });
});

describe("Progress without a TTY", () => {
  it("prints plain lines at 10 % steps and a summary, never \\r", () => {
    const stream = new FakeStream(false);
    const clock = new FakeClock();
    const p = new Progress({ label: "epoch 2", total: 60_000, stream, now: clock.now });
    for (let i = 0; i < 1000; i++) {
      clock.t += 60; // 60 s in all, a decile every 6 s: past the 5 s quiet time, below the heartbeat
      p.tick(60);
    }
    p.done("done");
    expect(stream.text).not.toContain("\r");
    const lines = stream.text.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(10);
    expect(lines.slice(0, 9).map((l) => l.match(/ (\d+)% /)![1])).toEqual(["10", "20", "30", "40", "50", "60", "70", "80", "90"]);
    // 6000 samples after 6 s: 1.0k samples/s (formatRate), 54000 left take 54 s.
    expect(lines[0]).toBe("epoch 2: 10% 6000/60000 1.0k samples/s ETA 0:54");
    expect(lines[9]).toBe("epoch 2: 100% 60000/60000 1.0k samples/s in 1:00 done");
  });

  it("logs only the summary of a job shorter than the quiet time", () => {
    const stream = new FakeStream(false);
    const clock = new FakeClock();
    const p = new Progress({ label: "epoch 1", total: 60_000, stream, now: clock.now });
    for (let i = 0; i < 1000; i++) {
      clock.t += 3; // 3 s in all
      p.tick(60);
    }
    p.done("done");
    expect(stream.text).toBe("epoch 1: 100% 60000/60000 20.0k samples/s in 0:03 done\n");
  });

  it("adds a heartbeat line after 10 s of silence, so the count stays bounded by time and progress", () => {
    const stream = new FakeStream(false);
    const clock = new FakeClock();
    const p = new Progress({ label: "slow", total: 1000, stream, now: clock.now });
    for (let i = 0; i < 50; i++) {
      clock.t += 3000; // 150 s for 5 %
      p.tick();
    }
    const lines = stream.text.trimEnd().split("\n");
    // A line at most every 10 s of the 150 s (ticks land on multiples of 3 s, so every 12 s).
    expect(lines).toHaveLength(Math.floor(150 / 12));
    expect(lines[0]).toBe(`slow: 0% 4/1000 0.33 samples/s ETA ${mss(996 * 3)}`);
  });

  it("handles an empty job", () => {
    const stream = new FakeStream(false);
    const clock = new FakeClock();
    const p = new Progress({ label: "nothing", total: 0, stream, now: clock.now });
    clock.t += 1000;
    p.done();
    expect(stream.text).toBe("nothing: 100% 0/0 0.00 samples/s in 0:01\n");
  });
});

describe("Progress defaults and helpers", () => {
  it("writes to stderr by default, never stdout", () => {
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const out = vi.spyOn(process.stdout, "write");
    const p = new Progress({ label: "x", total: 1 });
    p.tick();
    p.done();
    expect(err).toHaveBeenCalled();
    expect(out).not.toHaveBeenCalled();
  });

  it("rejects a bad total", () => {
    expect(() => new Progress({ label: "x", total: NaN, stream: new FakeStream(false) })).toThrow(/total/);
    expect(() => new Progress({ label: "x", total: -1, stream: new FakeStream(false) })).toThrow(/total/);
  });

  it("formats durations and rates", () => {
    expect(formatDuration(4.4)).toBe("0:04");
    expect(formatDuration(750)).toBe("12:30");
    expect(formatDuration(3723)).toBe("1:02:03");
    expect(formatRate(7.5)).toBe("7.50");
    expect(formatRate(123.4)).toBe("123");
    expect(formatRate(12_345)).toBe("12.3k");
    expect(formatRate(4_500_000)).toBe("4.5M");
  });
});
