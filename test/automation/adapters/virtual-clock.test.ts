import { expect } from "chai";
import { VirtualClock } from "../../../automation/adapters/virtual-clock";

describe("VirtualClock", function () {
  it("fires sleeps in time order without real waiting, advancing now to each", async function () {
    const clock = new VirtualClock({ start: 1000 });
    const seen: Array<[string, number]> = [];
    await Promise.all([
      clock.sleep(3_600_000).then(() => seen.push(["hour", clock.now()])),
      clock.sleep(60_000).then(() => seen.push(["minute", clock.now()])),
      clock.sleep(60_000).then(() => seen.push(["minute-2", clock.now()])),
    ]);
    expect(seen).to.deep.equal([
      ["minute", 61_000],
      ["minute-2", 61_000],
      ["hour", 3_601_000],
    ]);
  });

  it("does not move while tracked work is pending", async function () {
    const clock = new VirtualClock({ start: 0 });
    let release!: () => void;
    const work = clock.track(new Promise<void>((r) => (release = r)));
    let slept = false;
    const sleeping = clock.sleep(1000).then(() => (slept = true));
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    expect(slept).to.equal(false);
    expect(clock.now()).to.equal(0);
    release();
    await work;
    await sleeping;
    expect(clock.now()).to.equal(1000);
  });

  it("rejects an aborted sleep with the signal's reason and forgets its timer", async function () {
    const clock = new VirtualClock({ start: 0, autoAdvance: false });
    const ctl = new AbortController();
    const p = clock.sleep(1000, ctl.signal);
    expect(clock.pendingTimers()).to.equal(1);
    ctl.abort(new Error("stop"));
    try {
      await p;
      expect.fail("expected a rejection");
    } catch (e) {
      expect((e as Error).message).to.equal("stop");
    }
    expect(clock.pendingTimers()).to.equal(0);
  });

  it("moves only when told in manual mode", async function () {
    const clock = new VirtualClock({ start: 0, autoAdvance: false });
    let done = false;
    void clock.sleep(500).then(() => (done = true));
    await clock.advance(499);
    expect(done).to.equal(false);
    await clock.advance(1);
    expect(done).to.equal(true);
    expect(clock.now()).to.equal(500);
  });
});
