/** Store calls with a deadline. Internal: not exported from the package. */

/**
 * Runs `operation` and settles with its result, or rejects with `onTimeout()` after `ms`.
 * A synchronous throw becomes a rejection; a result arriving after the deadline is dropped
 * (and its rejection swallowed, so it never surfaces as unhandled).
 *
 * The timer keeps the process alive by default: someone awaits the result, and in a script, a
 * CLI or a queue worker with nothing else on the event loop an unref'd timer would let the
 * process exit with the promise never settled. Pass `background: true` only when nobody waits
 * (a fire-and-forget write).
 */
export function withTimeout<T>(
  operation: () => Promise<T>,
  ms: number,
  onTimeout: () => Error,
  { background = false }: { background?: boolean } = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false
    const timer = setTimeout(() => {
      settled = true
      reject(onTimeout())
    }, ms)
    if (background) timer.unref?.()
    const finish = (fn: () => void): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      fn()
    }
    let pending: Promise<T>
    try {
      pending = Promise.resolve(operation())
    } catch (error) {
      finish(() => reject(error))
      return
    }
    pending.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    )
  })
}
