/** Cheap rejections for the verification hot path. Internal: not exported from the package. */

const RESOLVED = Promise.resolve()

/**
 * A promise that rejects with `error` one microtask later. By then the caller has attached its
 * handler, so Node's unhandled-rejection bookkeeping, which made up most of the cost of an
 * immediately rejected promise, never runs. Unhandled, it is still reported as usual. (A V8
 * `then` job rather than `queueMicrotask`, which also creates an async resource per call.)
 */
export function rejectLater<T>(error: unknown): Promise<T> {
  return new Promise<T>((_resolve, reject) => {
    void RESOLVED.then(() => reject(error))
  })
}
