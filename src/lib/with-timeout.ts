/** Store calls with a deadline. Internal: not exported from the package. */

/**
 * Runs `operation` and settles with its result, or rejects with `onTimeout()` after `ms`.
 * A synchronous throw becomes a rejection; a result arriving after the deadline is dropped
 * (and its rejection swallowed, so it never surfaces as unhandled).
 */
export function withTimeout<T>(
  operation: () => Promise<T>,
  ms: number,
  onTimeout: () => Error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false
    const timer = setTimeout(() => {
      settled = true
      reject(onTimeout())
    }, ms)
    timer.unref?.()
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
