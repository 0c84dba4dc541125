/**
 * `@vydra/auth/otel`: OpenTelemetry spans and metrics for the auth service, through
 * `@opentelemetry/api` (an optional peer dependency: only this entry imports it, so a service
 * that never imports `@vydra/auth/otel` loads nothing of OpenTelemetry).
 *
 * ```ts
 * const auth = createApiKeyAuth({ store, telemetry: openTelemetry() })
 * ```
 * @module
 */
import {
  type Attributes,
  createNoopMeter,
  metrics,
  type MeterProvider,
  ProxyTracerProvider,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  trace,
  type TracerProvider,
  ValueType,
} from '@opentelemetry/api'
import type { AuthTelemetry, TelemetryView, VerificationSource } from '../../../src/index.js'

/** Options of {@link openTelemetry}. */
export interface OpenTelemetryOptions {
  /**
   * Where spans go. Default: the global provider (`trace.getTracerProvider()`), which also picks
   * up an SDK registered later.
   */
  tracerProvider?: TracerProvider
  /**
   * Where metrics go. Default: the global provider (`metrics.getMeterProvider()`) as it is when
   * `openTelemetry()` is called: start the SDK first, or pass its provider here.
   */
  meterProvider?: MeterProvider
  /**
   * Whether a verification answered from the cache gets a span (it always counts in the
   * metrics). A hit takes about a microsecond: at high rates its spans may cost more than the
   * verification; turn them off or sample. @defaultValue `true`
   */
  hitSpans?: boolean
}

/** The instrumentation scope of every span and metric. */
export const INSTRUMENTATION_SCOPE = '@vydra/auth'

/** Span and metric names, and attribute keys: the contract dashboards rely on. */
export const OTEL_NAMES = Object.freeze({
  verifySpan: 'vydra.auth.verify',
  /** Prefix of the management spans: `vydra.auth.createKey`, `vydra.auth.revokeKey`, … */
  operationSpanPrefix: 'vydra.auth.',
  verifications: 'vydra.auth.verifications',
  operations: 'vydra.auth.operations',
  cacheHitRatio: 'vydra.auth.cache.hit_ratio',
  cacheEntries: 'vydra.auth.cache.entries',
  storeDuration: 'vydra.auth.store.duration',
  propagationDelay: 'vydra.auth.revocation.propagation_delay',
  listenerConnected: 'vydra.auth.store.listener.connected',
  outcome: 'vydra.auth.outcome',
  cache: 'vydra.auth.cache',
  storeMs: 'vydra.auth.store.duration_ms',
  operation: 'vydra.auth.operation',
  storeOperation: 'vydra.auth.store.operation',
  cacheKind: 'vydra.auth.cache.kind',
})

const N = OTEL_NAMES
// Seconds, for store calls and propagation: from a local Redis (sub-millisecond) to a timeout.
const SECOND_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]

// What a verification of one (source, outcome) records: built once per pair, then reused, so
// a cache hit builds nothing (with hit spans on, the SDK builds its span).
interface Entry {
  attributes: Attributes
  span: SpanOptions
  failed: boolean
}

/**
 * Builds the telemetry of one service; pass it as `createApiKeyAuth({ telemetry })`.
 *
 * Spans: `vydra.auth.verify` per verification (attributes `vydra.auth.outcome`,
 * `vydra.auth.cache`, `vydra.auth.store.duration_ms` after a store read), and
 * `vydra.auth.<method>` around each management method, as the active span (a store's own
 * instrumentation nests under it). Metrics: see {@link OTEL_NAMES} and docs/observability.md.
 * Nothing secret is ever an attribute: no key, digest, user id or key id.
 *
 * @example
 * ```ts
 * import { openTelemetry } from '@vydra/auth/otel'
 * const auth = createApiKeyAuth({ store, telemetry: openTelemetry() })
 * ```
 */
export function openTelemetry(options: OpenTelemetryOptions = {}): AuthTelemetry {
  const provider = options.tracerProvider ?? trace.getTracerProvider()
  const tracer = provider.getTracer(INSTRUMENTATION_SCOPE)
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(
    INSTRUMENTATION_SCOPE,
  )
  const hitSpans = options.hitSpans !== false
  const tracing = tracingCheck(provider)
  // The API's meter when no SDK was registered: every instrument is a no-op, for good (metrics
  // have no proxy), so a verification has nothing to count.
  const metered = meter !== createNoopMeter()
  // With the API alone (no meter, no tracer behind the proxy) a verification returns at once;
  // whether a tracer has been registered since is asked again every 1,024 verifications.
  let idle = !metered && !tracing()
  let idleCalls = 0

  const verifications = meter.createCounter(N.verifications, {
    description: 'Verifications of API keys, by outcome and cache source',
    unit: '{verification}',
    valueType: ValueType.INT,
  })
  const operations = meter.createCounter(N.operations, {
    description: 'Management operations, by operation and outcome',
    unit: '{operation}',
    valueType: ValueType.INT,
  })
  const storeDuration = meter.createHistogram(N.storeDuration, {
    description: 'Duration of key store calls',
    unit: 's',
    advice: { explicitBucketBoundaries: SECOND_BUCKETS },
  })
  const propagation = meter.createHistogram(N.propagationDelay, {
    description: 'From a revocation in the store to its eviction from this instance',
    unit: 's',
    advice: { explicitBucketBoundaries: SECOND_BUCKETS },
  })
  const counts = { hit: 0, miss: 0, negative: 0 }
  const entries = createEntries()
  const hitOk = entries('hit', 'OK')
  const storeAttributes = createAttributeCache((operation: string, outcome: string) => ({
    [N.storeOperation]: operation,
    [N.outcome]: outcome,
  }))
  let attached = false

  return {
    verified: (outcome, source, storeMs, startedAt) => {
      if (idle) {
        if ((++idleCalls & 1023) !== 0) return
        idle = !tracing()
        if (idle) return
      }
      const entry = source === 'hit' && outcome === 'OK' ? hitOk : entries(source, outcome)
      verifications.add(1, entry.attributes)
      if (source !== 'none') counts[source]++
      if ((source === 'hit' && !hitSpans) || !tracing()) return
      if (Number.isNaN(startedAt)) {
        const span = tracer.startSpan(N.verifySpan, entry.span)
        if (entry.failed) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome })
        span.end()
        return
      }
      const span = tracer.startSpan(N.verifySpan, {
        ...entry.span,
        startTime: performance.timeOrigin + startedAt,
      })
      span.setAttribute(N.storeMs, storeMs)
      if (entry.failed) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome })
      span.end()
    },

    operation: (name, run) => {
      const done = (outcome: string): void => {
        operations.add(1, { [N.operation]: name, [N.outcome]: outcome })
      }
      if (!tracing()) return settle(run(), undefined, done)
      return tracer.startActiveSpan(
        `${N.operationSpanPrefix}${name}`,
        { kind: SpanKind.INTERNAL, attributes: { [N.operation]: name } },
        (span) => {
          try {
            return settle(run(), span, done)
          } catch (error) {
            end(span, codeOf(error), done)
            throw error
          }
        },
      )
    },

    storeCall: (operation, durationMs, outcome) => {
      storeDuration.record(durationMs / 1000, storeAttributes(operation, outcome))
    },

    revocationPropagated: (delayMs) => {
      propagation.record(delayMs / 1000)
    },

    attach: (view) => {
      if (attached) {
        throw new Error('openTelemetry(): one telemetry per service; call it once per service')
      }
      attached = true
      observe(meter, view, counts)
    },
  }
}

// The observable gauges, read on collection: the hit ratio since the last collection, the
// cache's sizes, and whether the store's revocation listener is connected.
function observe(
  meter: ReturnType<MeterProvider['getMeter']>,
  view: TelemetryView,
  counts: { hit: number; miss: number; negative: number },
): void {
  let seen = { hit: 0, lookups: 0 }
  meter
    .createObservableGauge(N.cacheHitRatio, {
      description: 'Share of cache lookups answered by the cache, since the last collection',
      unit: '1',
    })
    .addCallback((result) => {
      const lookups = counts.hit + counts.miss + counts.negative
      const hit = counts.hit
      if (lookups > seen.lookups) result.observe((hit - seen.hit) / (lookups - seen.lookups))
      seen = { hit, lookups }
    })
  meter
    .createObservableGauge(N.cacheEntries, {
      description: 'Entries in the verification cache: verified keys, unknown keys',
      unit: '{entry}',
      valueType: ValueType.INT,
    })
    .addCallback((result) => {
      const sizes = view.cacheSizes()
      result.observe(sizes.positive, { [N.cacheKind]: 'positive' })
      result.observe(sizes.negative, { [N.cacheKind]: 'negative' })
    })
  meter
    .createObservableGauge(N.listenerConnected, {
      description: "1 when the store's revocation listener is connected, 0 when not",
      unit: '1',
      valueType: ValueType.INT,
    })
    .addCallback((result) => {
      const connected = view.listenerConnected()
      if (connected !== undefined) result.observe(connected ? 1 : 0)
    })
}

// With the API alone, the global provider is a proxy with nothing behind it: until an SDK
// registers, a verification builds no span at all (not even a non-recording one). Once one
// has, the answer stays yes. A provider passed in, or registered already, is used as is.
function tracingCheck(provider: TracerProvider): () => boolean {
  if (!(provider instanceof ProxyTracerProvider)) return () => true
  let live = false
  return () => live || (live = provider.getDelegateTracer(INSTRUMENTATION_SCOPE) !== undefined)
}

// The entry of each (source, outcome) pair, made on first use. Outcomes are error codes: a
// closed set, so the cache stays small.
function createEntries(): (source: VerificationSource, outcome: string) => Entry {
  const bySource: Record<VerificationSource, Map<string, Entry>> = {
    hit: new Map(),
    miss: new Map(),
    negative: new Map(),
    none: new Map(),
  }
  return (source, outcome) => {
    const map = bySource[source]
    let entry = map.get(outcome)
    if (entry === undefined) {
      const attributes = Object.freeze({ [N.outcome]: outcome, [N.cache]: source })
      entry = {
        attributes,
        span: Object.freeze({ kind: SpanKind.INTERNAL, attributes }),
        failed: outcome === 'AUTH_UNAVAILABLE',
      }
      map.set(outcome, entry)
    }
    return entry
  }
}

// Attributes per (a, b) pair of a closed set, built once.
function createAttributeCache(
  make: (a: string, b: string) => Attributes,
): (a: string, b: string) => Attributes {
  const cache = new Map<string, Map<string, Attributes>>()
  return (a, b) => {
    let inner = cache.get(a)
    if (inner === undefined) cache.set(a, (inner = new Map()))
    let attributes = inner.get(b)
    if (attributes === undefined) inner.set(b, (attributes = Object.freeze(make(a, b))))
    return attributes
  }
}

// An `AuthError`'s code, or AUTH_UNAVAILABLE for anything else (the service maps those so).
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'AUTH_UNAVAILABLE'
}

function end(span: Span | undefined, outcome: string, done: (outcome: string) => void): void {
  done(outcome)
  if (span === undefined) return
  span.setAttribute(N.outcome, outcome)
  // A refusal (4xx) is an answer, not a fault of the service: only a 503 marks the span failed.
  if (outcome === 'AUTH_UNAVAILABLE') {
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome })
  }
  span.end()
}

function settle<T>(
  pending: Promise<T>,
  span: Span | undefined,
  done: (outcome: string) => void,
): Promise<T> {
  return pending.then(
    (value) => {
      end(span, 'OK', done)
      return value
    },
    (error: unknown) => {
      end(span, codeOf(error), done)
      throw error
    },
  )
}
