/**
 * A seeded pseudo-random generator (mulberry32): the sandbox's durations and faults are
 * reproducible for a given seed; nothing in the sandbox uses `Math.random`.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The generator's state: a generator made from it draws what this one would draw next. */
  get position(): number {
    return this.state;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [min, max]. */
  between(min: number, max: number): number {
    return Math.round(min + (max - min) * this.next());
  }

  /** A short hex id. */
  hex(chars = 8): string {
    let s = "";
    while (s.length < chars) s += Math.floor(this.next() * 16).toString(16);
    return s;
  }
}
