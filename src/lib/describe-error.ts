/** Error text for logs. Internal: not exported from the package. */

/**
 * `Name: message` for an `Error`, `String(value)` otherwise, and never a throw: stores, hooks and
 * session verifiers may reject with anything, including values whose `toString` throws or that
 * have none (`Object.create(null)`). Logging a failure must not become a failure of its own.
 * Only the message is kept: a store or a hook never sees a presented key, so its message
 * cannot hold one.
 */
export function describeError(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  } catch {
    try {
      return Object.prototype.toString.call(error)
    } catch {
      return '[unprintable value]'
    }
  }
}
