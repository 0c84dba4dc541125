/**
 * `@vydra/auth/otel` through the OpenTelemetry SDK's in-memory span exporter and a manual metric
 * reader: the `vydra.auth.verify` span of every outcome (hit, miss, negative, each refusal
 * code), the management spans, every metric's values, and what the API alone (no SDK) builds.
 */
import {
  context,
  ProxyTracer,
  ProxyTracerProvider,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api'
import {
  type CollectionResult,
  type DataPoint,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { OTEL_NAMES, openTelemetry } from '../adapters/telemetry/otel/index.js'
import {
  type AuthTelemetry,
  createApiKeyAuth,
  generateApiKey,
  type KeyStore,
  MemoryKeyStore,
} from '../src/index.js'
import { createClock } from './support/clock.js'
import { createLogSink } from './support/log-sink.js'
import { registerKey } from './support/secret-scan.js'
import { createStoreSpy } from './support/store-spy.js'

class TestReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve()
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve()
  }
}

function sdk() {
  const exporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  const reader = new TestReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  const telemetry = openTelemetry({ tracerProvider, meterProvider })
  const spans = (name?: string): ReadableSpan[] => {
    const all = exporter.getFinishedSpans()
    return name === undefined ? all : all.filter((s) => s.name === name)
  }
  const collect = async (): Promise<CollectionResult> => reader.collect()
  // The data points of one metric, as [attributes, value].
  const points = async (name: string): Promise<[Record<string, unknown>, unknown][]> => {
    const { resourceMetrics } = await collect()
    const metric = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === name)
    return (metric?.dataPoints ?? []).map((p: DataPoint<unknown>) => [p.attributes, p.value])
  }
  return { telemetry, exporter, spans, points, reset: () => exporter.reset() }
}

async function setup(options: { store?: KeyStore; telemetry?: AuthTelemetry } = {}) {
  const o = sdk()
  const clock = createClock(Date.now())
  const logs = createLogSink()
  const auth = createApiKeyAuth({
    store: options.store ?? new MemoryKeyStore(),
    scopes: ['models:read', 'models:write'],
    now: clock.now,
    logger: logs.logger,
    telemetry: options.telemetry ?? o.telemetry,
  })
  return { ...o, auth, clock, logs }
}

const verifyAttributes = (span: ReadableSpan | undefined) => ({
  outcome: span?.attributes[OTEL_NAMES.outcome],
  cache: span?.attributes[OTEL_NAMES.cache],
  store: typeof span?.attributes[OTEL_NAMES.storeMs],
  status: span?.status.code,
})

afterEach(() => {
  trace.disable()
  context.disable()
})

describe('vydra.auth.verify spans', () => {
  test('miss then hit: outcome OK, cache miss with the store time, then hit without', async () => {
    const { auth, spans, reset } = await setup()
    const { key } = await auth.createKey({ userId: 'u1', name: 'k', scopes: ['models:read'] })
    registerKey(key)
    reset()
    await auth.verifyKey(key)
    await auth.verifyKey(key)
    const verify = spans(OTEL_NAMES.verifySpan)
    expect(verify.map(verifyAttributes)).toEqual([
      { outcome: 'OK', cache: 'miss', store: 'number', status: SpanStatusCode.UNSET },
      { outcome: 'OK', cache: 'hit', store: 'undefined', status: SpanStatusCode.UNSET },
    ])
    expect(verify[0]?.attributes[OTEL_NAMES.storeMs]).toBeGreaterThanOrEqual(0)
    // Nothing about the key itself in any attribute.
    for (const span of verify) {
      expect(JSON.stringify(span.attributes)).not.toContain(key.slice(-10))
      expect(Object.keys(span.attributes).sort()).toEqual(
        span.attributes[OTEL_NAMES.cache] === 'miss'
          ? [OTEL_NAMES.cache, OTEL_NAMES.outcome, OTEL_NAMES.storeMs].sort()
          : [OTEL_NAMES.cache, OTEL_NAMES.outcome].sort(),
      )
    }
  })

  test('every refusal code, with where it was decided', async () => {
    const spy = createStoreSpy({ lifecycle: true })
    const { auth, spans, reset, clock } = await setup({ store: spy.store })
    const make = async (name: string, extra: { expiresInDays?: number } = {}) => {
      const created = await auth.createKey({
        userId: 'u1',
        name,
        scopes: ['models:read'],
        ...extra,
      })
      registerKey(created.key)
      await auth.verifyKey(created.key) // cached
      return created
    }
    const revoked = await make('revoked')
    const disabled = await make('disabled')
    const expiring = await make('expiring', { expiresInDays: 1 })
    const scoped = await make('scoped')
    await auth.revokeKey({ userId: 'u1', keyId: revoked.id })
    await auth.disableKey({ userId: 'u1', keyId: disabled.id })
    await auth.verifyKey(revoked.key).catch(() => {}) // reloaded: cached as revoked
    await auth.verifyKey(disabled.key).catch(() => {})
    const unknown = generateApiKey('u1')
    reset()
    const codes: [string, Promise<unknown>][] = [
      ['INVALID_FORMAT', auth.verifyKey('not-a-key')],
      ['INVALID_FORMAT', auth.authenticate('Basic abc')],
      ['KEY_NOT_FOUND', auth.verifyKey(unknown)],
    ]
    for (const [, pending] of codes) await pending.catch(() => {})
    await auth.verifyKey(unknown).catch(() => {}) // now known missing
    await auth.verifyKey(revoked.key).catch(() => {})
    await auth.verifyKey(disabled.key).catch(() => {})
    await auth.verifyKey(scoped.key, { scopes: ['models:write'] }).catch(() => {})
    // Past its expiry (and the cache's TTL): read again, refused, then refused from the cache.
    clock.advance(2 * 86_400_000)
    await auth.verifyKey(expiring.key).catch(() => {})
    await auth.verifyKey(expiring.key).catch(() => {})
    spy.behave.findByHash = { kind: 'reject', error: new Error('down') }
    await auth.verifyKey(generateApiKey('u2')).catch(() => {})
    expect(spans(OTEL_NAMES.verifySpan).map(verifyAttributes)).toEqual([
      { outcome: 'INVALID_FORMAT', cache: 'none', store: 'undefined', status: 0 },
      { outcome: 'INVALID_FORMAT', cache: 'none', store: 'undefined', status: 0 },
      { outcome: 'KEY_NOT_FOUND', cache: 'miss', store: 'number', status: 0 },
      { outcome: 'KEY_NOT_FOUND', cache: 'negative', store: 'undefined', status: 0 },
      { outcome: 'KEY_REVOKED', cache: 'hit', store: 'undefined', status: 0 },
      { outcome: 'KEY_DISABLED', cache: 'hit', store: 'undefined', status: 0 },
      { outcome: 'INSUFFICIENT_SCOPE', cache: 'hit', store: 'undefined', status: 0 },
      { outcome: 'KEY_EXPIRED', cache: 'miss', store: 'number', status: 0 },
      { outcome: 'KEY_EXPIRED', cache: 'hit', store: 'undefined', status: 0 },
      {
        outcome: 'AUTH_UNAVAILABLE',
        cache: 'miss',
        store: 'number',
        status: SpanStatusCode.ERROR,
      },
    ])
  })

  test('hitSpans: false leaves hits out of the spans but not out of the metrics', async () => {
    const o = sdk()
    const telemetry = openTelemetry({
      tracerProvider: new BasicTracerProvider({
        spanProcessors: [new SimpleSpanProcessor(o.exporter)],
      }),
      hitSpans: false,
    })
    const auth = createApiKeyAuth({ store: new MemoryKeyStore(), telemetry, logger: false })
    const { key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    await auth.verifyKey(key)
    await auth.verifyKey(key)
    expect(o.spans(OTEL_NAMES.verifySpan).map((s) => s.attributes[OTEL_NAMES.cache])).toEqual([
      'miss',
    ])
  })
})

describe('management spans', () => {
  test('one span per operation, named after the method, with its outcome', async () => {
    const { auth, spans } = await setup()
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    await auth.listKeys('u1')
    await auth.revokeKey({ userId: 'u1', keyId: id })
    await auth
      .disableKey({ userId: 'u1', keyId: '00000000-0000-4000-8000-000000000000' })
      .catch(() => {})
    const management = spans().filter((s) => s.name !== OTEL_NAMES.verifySpan)
    expect(
      management.map((s) => [
        s.name,
        s.attributes[OTEL_NAMES.operation],
        s.attributes[OTEL_NAMES.outcome],
      ]),
    ).toEqual([
      ['vydra.auth.createKey', 'createKey', 'OK'],
      ['vydra.auth.listKeys', 'listKeys', 'OK'],
      ['vydra.auth.revokeKey', 'revokeKey', 'OK'],
      ['vydra.auth.disableKey', 'disableKey', 'KEY_NOT_FOUND'],
    ])
    // A refusal is an answer, not a failure of the service.
    expect(management.map((s) => s.status.code)).toEqual([0, 0, 0, 0])
  })

  test('a store failure marks the management span failed', async () => {
    const spy = createStoreSpy()
    const { auth, spans } = await setup({ store: spy.store })
    spy.behave.insert = { kind: 'reject', error: new Error('disk full') }
    await expect(auth.createKey({ userId: 'u1', name: 'k' })).rejects.toMatchObject({
      code: 'AUTH_UNAVAILABLE',
    })
    const [span] = spans('vydra.auth.createKey')
    expect([span?.attributes[OTEL_NAMES.outcome], span?.status.code]).toEqual([
      'AUTH_UNAVAILABLE',
      SpanStatusCode.ERROR,
    ])
  })
})

describe('metrics', () => {
  test('verifications by outcome and source, hit ratio, cache entries, store duration', async () => {
    const { auth, points } = await setup()
    const { key } = await auth.createKey({ userId: 'u1', name: 'k', scopes: ['models:read'] })
    registerKey(key)
    await auth.verifyKey(key) // miss
    for (let i = 0; i < 3; i++) await auth.verifyKey(key) // hits
    await auth.verifyKey(key, { scopes: ['models:write'] }).catch(() => {}) // hit, refused
    const unknown = generateApiKey('u1')
    await auth.verifyKey(unknown).catch(() => {}) // miss
    await auth.verifyKey(unknown).catch(() => {}) // negative
    await auth.verifyKey('nope').catch(() => {}) // none
    const label = (a: Record<string, unknown>) => `${a[OTEL_NAMES.cache]}/${a[OTEL_NAMES.outcome]}`
    const counted = Object.fromEntries(
      (await points(OTEL_NAMES.verifications)).map(([a, v]) => [label(a), v]),
    )
    expect(counted).toEqual({
      'miss/OK': 1,
      'hit/OK': 3,
      'hit/INSUFFICIENT_SCOPE': 1,
      'miss/KEY_NOT_FOUND': 1,
      'negative/KEY_NOT_FOUND': 1,
      'none/INVALID_FORMAT': 1,
    })
    // 4 hits of 7 lookups (the malformed key was never looked up).
    expect(await points(OTEL_NAMES.cacheHitRatio)).toEqual([[{}, 4 / 7]])
    // Since the last collection: with no lookup since, the last value stays; then 1 hit of 1.
    expect(await points(OTEL_NAMES.cacheHitRatio)).toEqual([[{}, 4 / 7]])
    await auth.verifyKey(key)
    expect(await points(OTEL_NAMES.cacheHitRatio)).toEqual([[{}, 1]])
    expect(await points(OTEL_NAMES.cacheEntries)).toEqual([
      [{ [OTEL_NAMES.cacheKind]: 'positive' }, 1],
      [{ [OTEL_NAMES.cacheKind]: 'negative' }, 1],
    ])
    const store = await points(OTEL_NAMES.storeDuration)
    const ops = Object.fromEntries(
      store.map(([a, v]) => [
        `${a[OTEL_NAMES.storeOperation]}/${a[OTEL_NAMES.outcome]}`,
        (v as { count: number }).count,
      ]),
    )
    expect(ops).toEqual({ 'findByHash/OK': 2, 'insertCapped/OK': 1 })
  })

  test('operations counter by operation and outcome', async () => {
    const { auth, points } = await setup()
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    await auth.revokeKey({ userId: 'u1', keyId: id })
    await auth.revokeKey({ userId: 'u1', keyId: id }).catch(() => {})
    const counted = (await points(OTEL_NAMES.operations)).map(([a, v]) => [
      a[OTEL_NAMES.operation],
      a[OTEL_NAMES.outcome],
      v,
    ])
    // Revoking a revoked key answers it again (idempotent): OK both times.
    expect(counted).toEqual([
      ['createKey', 'OK', 1],
      ['revokeKey', 'OK', 2],
    ])
  })

  test('revocation propagation delay: from the revocation in the store to the eviction on another instance', async () => {
    const memory = new MemoryKeyStore()
    const issuer = createApiKeyAuth({ store: memory, logger: false, now: () => Date.now() - 0 })
    const { id, key } = await issuer.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    const { auth, points } = await setup({ store: memory })
    await auth.verifyKey(key) // this instance accepts it from its cache
    await auth.verifyKey(generateApiKey('u9')).catch(() => {})
    await issuer.revokeKey({ userId: 'u1', keyId: id })
    await vi.waitFor(async () => {
      const [[, value] = [{}, undefined]] = await points(OTEL_NAMES.propagationDelay)
      expect((value as { count: number } | undefined)?.count).toBe(1)
    })
    const [point] = (await points(OTEL_NAMES.propagationDelay)) as [
      unknown,
      { sum: number; count: number },
    ][]
    const value = point?.[1]
    expect(value?.sum).toBeGreaterThanOrEqual(0)
    expect(value?.sum).toBeLessThan(60)
    await expect(auth.verifyKey(key)).rejects.toMatchObject({ code: 'KEY_REVOKED' })
  })

  test('listener connected gauge: the store says 1 or 0; a store that does not say, nothing', async () => {
    let connected = true
    const memory = new MemoryKeyStore()
    const store: KeyStore = {
      insert: (record) => memory.insert(record),
      findByHash: (hash) => memory.findByHash(hash),
      listByUser: (userId) => memory.listByUser(userId),
      revoke: (keyId, userId, at) => memory.revoke(keyId, userId, at),
      onRevoke: (listener) => memory.onRevoke(listener),
      listenerConnected: () => connected,
    }
    const { points } = await setup({ store })
    expect(await points(OTEL_NAMES.listenerConnected)).toEqual([[{}, 1]])
    connected = false
    expect(await points(OTEL_NAMES.listenerConnected)).toEqual([[{}, 0]])
    const plain = await setup()
    expect(await plain.points(OTEL_NAMES.listenerConnected)).toEqual([])
  })
})

describe('the API without an SDK, and failures', () => {
  test('with only the API, no span is built; an SDK registered later is used', async () => {
    const startSpan = vi.spyOn(ProxyTracer.prototype, 'startSpan')
    expect(trace.getTracerProvider()).toBeInstanceOf(ProxyTracerProvider)
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      logger: false,
      telemetry: openTelemetry(),
    })
    const { key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    await auth.verifyKey(key)
    await auth.verifyKey(key)
    expect(startSpan).not.toHaveBeenCalled()
    const exporter = new InMemorySpanExporter()
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    )
    // Asked again every 1,024 verifications: spans start within that many.
    for (let i = 0; i < 1024; i++) await auth.verifyKey(key)
    expect(exporter.getFinishedSpans().length).toBeGreaterThan(0)
    expect(new Set(exporter.getFinishedSpans().map((s) => s.name))).toEqual(
      new Set([OTEL_NAMES.verifySpan]),
    )
    startSpan.mockRestore()
  })

  test('a telemetry hook that throws never reaches the caller; logged once per hook', async () => {
    const broken: AuthTelemetry = {
      verified: () => {
        throw new Error('exporter down')
      },
      operation: () => {
        throw new Error('exporter down')
      },
      storeCall: () => {
        throw new Error('exporter down')
      },
      revocationPropagated: () => {},
      attach: () => {},
    }
    const { auth, logs } = await setup({ telemetry: broken })
    const { key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    await expect(auth.verifyKey(key)).resolves.toMatchObject({ userId: 'u1' })
    await expect(auth.verifyKey(key)).resolves.toMatchObject({ userId: 'u1' })
    await expect(auth.verifyKey('bad')).rejects.toMatchObject({ code: 'INVALID_FORMAT' })
    const warned = logs.lines.filter((l) => l.message === 'telemetry hook failed')
    expect(warned.map((l) => (l.context as { hook: string }).hook).sort()).toEqual([
      'operation',
      'storeCall',
      'verified',
    ])
  })

  test('a telemetry option that is not one is a CONFIGURATION_ERROR naming it', () => {
    expect(() =>
      createApiKeyAuth({
        store: new MemoryKeyStore(),
        telemetry: {} as AuthTelemetry,
      }),
    ).toThrow(/telemetry/)
  })
})
