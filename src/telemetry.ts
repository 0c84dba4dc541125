/**
 * The telemetry port: what the service reports about itself (verification outcomes, cache use,
 * store latency, management operations, revocation propagation) to an adapter such as
 * `@vydra/auth/otel`. The core calls these hooks and imports no telemetry library; without the
 * `telemetry` option nothing is called and nothing is built.
 * @module
 */

/**
 * Where a verification's answer came from: the cache of verified keys (`hit`), the store
 * (`miss`), the cache of unknown keys (`negative`), or nowhere because the presented value was
 * refused before any lookup (`none`: a malformed header or key).
 */
export type VerificationSource = 'hit' | 'miss' | 'negative' | 'none'

/** What a telemetry adapter may read of the service, for gauges observed on collection. */
export interface TelemetryView {
  /** Entries in the verification cache: verified keys, unknown keys, lookups under way. */
  cacheSizes(): { positive: number; negative: number; inflight: number }
  /**
   * Whether the store's revocation listener is connected (PostgreSQL `LISTEN`, Redis
   * subscriber); `undefined` when the store has no listener or does not say.
   */
  listenerConnected(): boolean | undefined
}

/**
 * Hooks the service calls when the `telemetry` option is given. Each is called synchronously on
 * the path it measures, so it must be cheap and must not throw (the service calls them inside a
 * `try` where a throw could reach a request, and logs nothing about them). `@vydra/auth/otel`'s
 * `openTelemetry()` builds one; your own can feed another system.
 */
export interface AuthTelemetry {
  /**
   * One verification ended. `outcome` is `'OK'` or the refusal's error code; `storeMs` is how
   * long the store read took (a miss), else `NaN`; `startedAt` is `performance.now()` when a
   * store read began, else `NaN` (the verification took no measurable time). A cache hit calls
   * this with constant arguments only: the hook decides what it allocates.
   */
  verified(outcome: string, source: VerificationSource, storeMs: number, startedAt: number): void
  /**
   * Runs a management operation (`createKey`, `revokeKey`, `rollKey`, …) inside whatever the
   * adapter wraps it in (a span), and returns its promise unchanged.
   */
  operation<T>(name: string, run: () => Promise<T>): Promise<T>
  /**
   * One call to the store ended: its operation (`findByHash`, `insert`, `revoke`, …), duration
   * and outcome (`'OK'`, or the error code it became, `AUTH_UNAVAILABLE`).
   */
  storeCall(operation: string, durationMs: number, outcome: string): void
  /**
   * A revocation made elsewhere (or here) stopped a key this instance was accepting: `delayMs`
   * from the revocation's time in the store to its eviction here (never negative).
   */
  revocationPropagated(delayMs: number): void
  /** Called once, when the service is built, with what gauges may read. */
  attach(view: TelemetryView): void
}
