/**
 * What a cache miss ends in (`src/service/load-handlers.ts`), written against surviving mutants
 * (docs/testing.md, mutation testing): a key verified from the store is counted in its usage
 * and reported to telemetry as a miss, with the store read's duration.
 */
import { describe, expect, it } from 'vitest'
import { type AuthTelemetry, MemoryUsageStore } from '../../src/index.js'
import { setup } from '../support/setup.js'

describe('a verification from the store (a miss)', () => {
  it('is counted as OK and reported to telemetry with its source and store time', async () => {
    const verified: [string, string, number, number][] = []
    const telemetry: AuthTelemetry = {
      verified: (outcome, source, storeMs, startedAt) =>
        void verified.push([outcome, source, storeMs, startedAt]),
      operation: (_name, run) => run(),
      storeCall: () => {},
      revocationPropagated: () => {},
      attach: () => {},
    }
    const h = setup({ usageStore: new MemoryUsageStore(), telemetry })
    const { key, id } = await h.issue()
    const t0 = performance.now()
    await h.auth.verifyKey(key)
    const t1 = performance.now()
    expect(verified).toHaveLength(1)
    const [outcome, source, storeMs, startedAt] = verified[0] ?? []
    expect([outcome, source]).toEqual(['OK', 'miss'])
    expect(startedAt).toBeGreaterThanOrEqual(t0)
    expect(startedAt).toBeLessThanOrEqual(t1)
    expect(storeMs).toBeGreaterThanOrEqual(0)
    expect(storeMs).toBeLessThanOrEqual(t1 - t0)
    // The hit that follows is reported as a hit.
    await h.auth.verifyKey(key)
    expect(verified[1]?.slice(0, 2)).toEqual(['OK', 'hit'])
    await h.auth.flushUsage()
    const report = await h.auth.usage({
      keyId: id,
      from: new Date(h.clock.time - 60_000),
      to: new Date(h.clock.time + 60_000),
    })
    expect(report.byOutcome).toEqual({ OK: 2 })
    await h.auth.close()
  })

  it('a refusal after a store read, and a store failure, are reported as misses', async () => {
    const verified: [string, string][] = []
    const telemetry: AuthTelemetry = {
      verified: (outcome, source) => void verified.push([outcome, source]),
      operation: (_name, run) => run(),
      storeCall: () => {},
      revocationPropagated: () => {},
      attach: () => {},
    }
    const h = setup({ telemetry })
    const { key } = await h.issue({ scopes: ['models:read'] })
    const second = (await h.issue()).key
    // A refused scope decided on the loaded record.
    await h.auth.verifyKey(key, { scopes: ['admin'] }).catch(() => {})
    // A failed store read.
    h.spy.behave.findByHash = { kind: 'reject', error: new Error('down') }
    await h.auth.verifyKey(second).catch(() => {})
    expect(verified).toEqual([
      ['INSUFFICIENT_SCOPE', 'miss'],
      ['AUTH_UNAVAILABLE', 'miss'],
    ])
    h.spy.behave.findByHash = { kind: 'real' }
    await h.auth.close()
  })

  it('a key the store does not have is reported as a miss', async () => {
    const verified: [string, string][] = []
    const telemetry: AuthTelemetry = {
      verified: (outcome, source) => void verified.push([outcome, source]),
      operation: (_name, run) => run(),
      storeCall: () => {},
      revocationPropagated: () => {},
      attach: () => {},
    }
    const h = setup({ telemetry })
    const other = setup()
    const { key } = await other.issue()
    await h.auth.verifyKey(key).catch(() => {})
    expect(verified).toEqual([['KEY_NOT_FOUND', 'miss']])
    await Promise.all([h.auth.close(), other.auth.close()])
  })
})
