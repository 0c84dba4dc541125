/**
 * `node:util`'s `inspect` for the bundles of test/runtimes: the test support modules (log sink,
 * secret scan) format log lines with it; workerd without `nodejs_compat` has no `node:util`.
 */
export function inspect(value: unknown, _options?: unknown): string {
  try {
    return typeof value === 'string' ? value : JSON.stringify(value)
  } catch {
    return String(value)
  }
}
