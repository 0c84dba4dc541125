/**
 * Usage counting (src/service/usage-counter.ts, usage-report.ts, memory-usage-store.ts): counts
 * equal requests sent, per key, minute and outcome; batches, not writes per request; a failed
 * flush is retried with the same batch and never counted twice; memory stays bounded.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  MemoryUsageStore,
  generateApiKey,
  type UsageBatch,
  type UsageRow,
  type UsageStore,
} from '../src/index.js'
import { MAX_COUNTED_KEYS, MAX_UNSENT_BATCHES, UsageCounter } from '../src/service/usage-counter.js'
import { createLogSink } from './support/log-sink.js'
import { setup } from './support/setup.js'

const MINUTE = 60_000

/** A usage store that records its calls and can fail on demand, before or after applying. */
function spyUsageStore(): UsageStore & {
  batches: UsageBatch[]
  memory: MemoryUsageStore
  failNext: (mode: 'before' | 'after') => void
} {
  const memory = new MemoryUsageStore()
  const batches: UsageBatch[] = []
  const failures: ('before' | 'after')[] = []
  return {
    batches,
    memory,
    failNext: (mode) => void failures.push(mode),
    addUsage: async (batch) => {
      batches.push(batch)
      const failure = failures.shift()
      if (failure === 'before') throw new Error('connection reset')
      await memory.addUsage(batch)
      // Applied, but the answer is lost: the caller cannot tell it apart from 'before'.
      if (failure === 'after') throw new Error('timeout after commit')
    },
    readUsage: (keyId, from, to) => memory.readUsage(keyId, from, to),
  }
}

const sum = (rows: readonly UsageRow[]): number => rows.reduce((n, r) => n + r.count, 0)

afterEach(() => {
  vi.useRealTimers()
})

describe('usage counting', () => {
  it('sum of counts equals requests sent: 10 100 requests over 100 keys, one write per flush', async () => {
    const usageStore = spyUsageStore()
    const h = setup({ usageStore })
    const keys = []
    for (let i = 0; i < 100; i++)
      keys.push(await h.issue({ userId: `u${i}`, scopes: ['models:read'] }))
    const sent = new Map<string, { ok: number; refused: number }>()
    // Warm the cache: a miss is decided (and counted) when its lookup returns.
    for (const { key, id } of keys) {
      await h.auth.verifyKey(key)
      sent.set(id, { ok: 1, refused: 0 })
    }
    const requests: Promise<unknown>[] = []
    for (let i = 0; i < 10_000; i++) {
      const { key, id } = keys[i % 100] as { key: string; id: string }
      const refuse = i % 7 === 0
      const tally = sent.get(id) ?? { ok: 0, refused: 0 }
      sent.set(id, tally)
      if (refuse) tally.refused++
      else tally.ok++
      requests.push(
        h.auth
          .verifyKey(key, { scopes: [refuse ? 'models:write' : 'models:read'] })
          .catch(() => {}),
      )
      // Half-way, the minute changes: counts land in both minutes.
      if (i === 5_000) h.clock.advance(MINUTE)
    }
    await Promise.all(requests)
    expect(usageStore.batches).toHaveLength(0) // nothing written on the request path
    await h.auth.flushUsage()
    expect(usageStore.batches).toHaveLength(1)
    const from = new Date(h.clock.time - 2 * MINUTE)
    const to = new Date(h.clock.time + MINUTE)
    let total = 0
    for (const [keyId, tally] of sent) {
      const report = await h.auth.usage({ keyId, from, to })
      expect(report.byOutcome).toEqual({ OK: tally.ok, INSUFFICIENT_SCOPE: tally.refused })
      expect(report.total).toBe(tally.ok + tally.refused)
      expect(new Set(report.minutes.map((m) => m.minute.getTime())).size).toBe(2)
      total += report.total
    }
    expect(total).toBe(10_100)
  })

  it('a failed flush is retried with the same batch and counted once, also when it was applied', async () => {
    const usageStore = spyUsageStore()
    const h = setup({ usageStore })
    const { key, id } = await h.issue()
    for (let i = 0; i < 7; i++) await h.auth.verifyKey(key)
    usageStore.failNext('after')
    await h.auth.flushUsage()
    expect(h.logs.lines.filter((l) => l.message.startsWith('usage flush failed'))).toHaveLength(1)
    for (let i = 0; i < 3; i++) await h.auth.verifyKey(key)
    usageStore.failNext('before')
    await h.auth.flushUsage()
    await h.auth.flushUsage()
    // The first batch twice more (ambiguous, then refused), then the second batch.
    expect(usageStore.batches.map((b) => b.id)).toEqual([
      usageStore.batches[0]?.id,
      usageStore.batches[0]?.id,
      usageStore.batches[0]?.id,
      usageStore.batches[3]?.id,
    ])
    const report = await h.auth.usage({
      keyId: id,
      from: new Date(h.clock.time - MINUTE),
      to: new Date(h.clock.time + MINUTE),
    })
    expect(report.byOutcome).toEqual({ OK: 10 })
  })

  it('close() writes what is left; the timer writes at most every usageFlushMs', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const usageStore = spyUsageStore()
    const h = setup({ usageStore, usageFlushMs: 5_000 })
    const { key } = await h.issue()
    await h.auth.verifyKey(key)
    await vi.advanceTimersByTimeAsync(4_999)
    expect(usageStore.batches).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(usageStore.batches).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(20_000) // nothing new counted: no empty batches
    expect(usageStore.batches).toHaveLength(1)
    await h.auth.verifyKey(key)
    await h.auth.close()
    expect(usageStore.batches).toHaveLength(2)
    expect(sum(usageStore.batches.flatMap((b) => b.rows))).toBe(2)
  })

  it('only keys are counted: unknown keys and malformed input are not', async () => {
    const usageStore = spyUsageStore()
    const h = setup({ usageStore })
    const { key, id } = await h.issue()
    await h.auth.verifyKey(generateApiKey('u123')).catch(() => {})
    await h.auth.verifyKey('nope').catch(() => {})
    await h.auth.revokeKey({ userId: 'u123', keyId: id })
    await h.auth.verifyKey(key).catch(() => {})
    await h.auth.flushUsage()
    expect(usageStore.batches.flatMap((b) => b.rows)).toEqual([
      { keyId: id, minute: new Date(h.clock.time), outcome: 'KEY_REVOKED', count: 1 },
    ])
  })

  it('memory stays bounded: keys beyond the cap and batches beyond the backlog are dropped and logged', async () => {
    const logs = createLogSink()
    const failing: UsageStore = {
      addUsage: () => Promise.reject(new Error('down')),
      readUsage: () => Promise.resolve([]),
    }
    const counter = new UsageCounter({
      store: failing,
      flushMs: 60_000,
      timeoutMs: 100,
      logger: logs.logger,
    })
    for (let i = 0; i <= MAX_COUNTED_KEYS; i++) counter.count(`k${i}`, 0, 'OK')
    expect(counter.stats()).toMatchObject({ keys: MAX_COUNTED_KEYS, dropped: 1 })
    for (let i = 0; i <= MAX_UNSENT_BATCHES; i++) {
      counter.count('k0', i * MINUTE, 'OK')
      await counter.flush()
    }
    expect(counter.stats().unsent).toBe(MAX_UNSENT_BATCHES)
    expect(logs.lines.filter((l) => l.message.startsWith('usage batch dropped'))).toHaveLength(1)
    // Keys unused since the last flush are forgotten.
    expect(counter.stats().keys).toBe(1)
    await counter.close().catch(() => {})
  })

  it('a slow usage store times out and is retried; requests never wait for it', async () => {
    let release: (() => void) | undefined
    const slow: UsageStore = {
      addUsage: () => new Promise<void>((resolve) => (release = resolve)),
      readUsage: () => Promise.resolve([]),
    }
    const h = setup({ usageStore: slow, storeTimeoutMs: 50 })
    const { key } = await h.issue()
    await h.auth.verifyKey(key)
    const flushing = h.auth.flushUsage()
    expect(await h.auth.verifyKey(key)).toMatchObject({ userId: 'u123' })
    await flushing
    expect(h.logs.lines.some((l) => l.context?.error === 'Error: usage flush timed out')).toBe(true)
    release?.()
  })

  it('auth.usage validates its query and says when counting is off', async () => {
    const h = setup({ usageStore: new MemoryUsageStore() })
    const keyId = '00000000-0000-4000-8000-000000000000'
    const at = new Date(0)
    for (const bad of [
      { keyId: 'x', from: at, to: at },
      { keyId, from: 'yesterday', to: at },
      { keyId, from: new Date(10), to: new Date(0) },
      { keyId, from: new Date(0), to: new Date(367 * 86_400_000) },
      null,
    ]) {
      await expect(h.auth.usage(bad as never)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
    }
    expect(await h.auth.usage({ keyId, from: at, to: new Date(MINUTE) })).toEqual({
      keyId,
      from: at,
      to: new Date(MINUTE),
      total: 0,
      byOutcome: {},
      minutes: [],
    })
    const off = setup()
    await expect(off.auth.usage({ keyId, from: at, to: at })).rejects.toMatchObject({
      code: 'CONFIGURATION_ERROR',
    })
    await off.auth.flushUsage() // a no-op without a store
  })

  it('a failing readUsage is 503 AUTH_UNAVAILABLE, logged', async () => {
    const h = setup({
      usageStore: {
        addUsage: () => Promise.resolve(),
        readUsage: () => Promise.reject(new Error('read failed')),
      },
    })
    await expect(
      h.auth.usage({
        keyId: '00000000-0000-4000-8000-000000000000',
        from: new Date(0),
        to: new Date(1),
      }),
    ).rejects.toMatchObject({ code: 'AUTH_UNAVAILABLE' })
    expect(h.logs.lines.some((l) => l.message === 'usage store readUsage failed')).toBe(true)
  })

  it('usageStore and usageFlushMs are validated', () => {
    expect(() => setup({ usageStore: {} as UsageStore })).toThrow(/usageStore/)
    expect(() => setup({ usageFlushMs: 10 })).toThrow(/usageFlushMs/)
    expect(() => setup({ usageFlushMs: 300_001 })).toThrow(/usageFlushMs/)
  })
})
