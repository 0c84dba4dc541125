/** A fake clock: time moves only when a test moves it. */

export interface FakeClock {
  /** Pass as the `now` option. */
  now: () => number
  /** Current time in ms. */
  readonly time: number
  set(ms: number): void
  advance(ms: number): void
}

/** A clock starting at `start` (default 2026-01-01T00:00:00Z). */
export function createClock(start: number = Date.UTC(2026, 0, 1)): FakeClock {
  let t = start
  return {
    now: () => t,
    get time() {
      return t
    },
    set: (ms) => {
      t = ms
    },
    advance: (ms) => {
      t += ms
    },
  }
}
