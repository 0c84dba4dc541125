/**
 * Deadlines for many calls of the same length, with one timer for all of them. Internal: not
 * exported from the package.
 *
 * `withTimeout` (./with-timeout.ts) arms and clears a timer per call: about 0.9 µs of CPU, which
 * on a request charged against a Redis or PostgreSQL limit store was a sizeable part of what the
 * limit cost (docs/benchmarks.md, "Limits cost"). Every charge of a service waits the same
 * `storeTimeoutMs`, so the deadlines fall in the order the calls began: a queue, whose head
 * holds the next deadline, and a single timer set for it. A call then costs a queue entry and
 * its promise; the timer fires about once per deadline length under load.
 * @module
 */

interface Entry {
  /** `performance.now()` after which the call is refused. */
  readonly at: number
  /** Settled (by the call or the deadline): the queue skips it. */
  done: boolean
  readonly reject: (error: Error) => void
}

/** Gives pending results the same deadline; see {@link createDeadlineQueue}. */
export type DeadlineQueue = <T>(result: PromiseLike<T>) => Promise<T>

/**
 * A queue of pending results (of calls already made: the caller catches their synchronous
 * throws) that each settle with the result, or reject with `onTimeout()` once `ms` have passed
 * since it was queued, like `withTimeout(operation, ms, onTimeout)`: a result arriving after
 * the deadline is dropped (its rejection swallowed). The timer keeps the process alive while a
 * call is pending, as `withTimeout`'s does (someone awaits the result).
 */
export function createDeadlineQueue(ms: number, onTimeout: () => Error): DeadlineQueue {
  const queue: Entry[] = []
  let head = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  // Calls not yet settled. At 0 the timer is cleared, so that an idle process is not kept
  // alive until a deadline nobody waits for (as `withTimeout` clears its own).
  let pending = 0

  const settled = (entry: Entry): void => {
    entry.done = true
    if (--pending > 0) return
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    queue.length = 0
    head = 0
  }

  const expire = (): void => {
    timer = undefined
    const now = performance.now()
    while (head < queue.length) {
      const entry = queue[head] as Entry
      if (!entry.done && entry.at > now) break
      head++
      if (!entry.done) {
        settled(entry)
        entry.reject(onTimeout())
      }
    }
    // Compact once the settled prefix is most of the array (amortised O(1) per call).
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head)
      head = 0
    }
    arm(now)
  }

  // One timer, for the first call still pending (skipping those already settled).
  const arm = (now: number): void => {
    while (head < queue.length && (queue[head] as Entry).done) head++
    if (head === queue.length) {
      queue.length = 0
      head = 0
      return
    }
    if (timer === undefined) {
      timer = setTimeout(expire, Math.max(0, (queue[head] as Entry).at - now))
    }
  }

  return <T>(result: PromiseLike<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const now = performance.now()
      const entry: Entry = { at: now + ms, done: false, reject }
      queue.push(entry)
      pending++
      if (timer === undefined) arm(now)
      result.then(
        (value) => {
          if (entry.done) return
          settled(entry)
          resolve(value)
        },
        (error: unknown) => {
          if (entry.done) return
          settled(entry)
          reject(error)
        },
      )
    })
}
