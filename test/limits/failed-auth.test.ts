/**
 * Failed-authentication throttling (`limits.failedAuth`) through the guard, with a fake clock:
 * only 401s count, the cap answers 429 RATE_LIMITED with Retry-After before any lookup, windows
 * slide, addresses are separate (IPv6 per /64), a store outage leaves the 401, and the options
 * are validated at start-up. The client-address rule itself is in client-address.test.ts.
 */
import { describe, expect, test } from 'vitest'
import { requireApiKey as fetchGuard } from '../../adapters/frameworks/fetch/index.js'
import { requireApiKey as honoGuard } from '../../adapters/frameworks/hono/index.js'
import { withApiKey } from '../../adapters/frameworks/next/index.js'
import { createApiKeyGuard, type GuardedRequest } from '../../src/http/index.js'
import { failedAuthSubject } from '../../src/limits/address-subject.js'
import {
  createApiKeyAuth,
  generateApiKey,
  type LimitCheck,
  type LimitStore,
  MemoryKeyStore,
  MemoryLimitStore,
} from '../../src/index.js'
import { parseEvent } from '../support/event-schemas.js'
import { setup } from '../support/setup.js'

const MINUTE = 60_000

// A limit store that counts its calls (to prove the cap is answered without one).
function countingStore(inner: LimitStore = new MemoryLimitStore()) {
  const checks: LimitCheck[] = []
  const store: LimitStore = {
    consume: (check) => {
      checks.push(check)
      return inner.consume(check)
    },
  }
  return { store, checks }
}

function harness(limit = 3, trustProxy?: number) {
  const limitStore = countingStore()
  const h = setup({
    scopes: ['models:read', 'models:write'],
    limits: {
      store: limitStore.store,
      failedAuth: { limit, windowMs: MINUTE, ...(trustProxy === undefined ? {} : { trustProxy }) },
    },
  })
  return { ...h, limitStore }
}

const from = (clientAddress: string, key?: string): GuardedRequest => ({
  headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
  clientAddress,
})

describe('failed-authentication throttling in the guard', () => {
  test('limit 401s per window, then 429 RATE_LIMITED with Retry-After, no lookup, no charge', async () => {
    const h = harness(3)
    const { key } = await h.issue()
    const guard = createApiKeyGuard(h.auth, { scopes: ['models:read'] })
    for (let i = 0; i < 3; i++) {
      const result = await guard(from('203.0.113.7', generateApiKey('u123')))
      expect(result.ok ? 200 : result.response.status).toBe(401)
    }
    // The fourth failure is looked up (no instance knew yet), then answered 429 instead of 401.
    const fourth = await guard(from('203.0.113.7', generateApiKey('u123')))
    expect(fourth.ok).toBe(false)
    if (fourth.ok) return
    expect(fourth.response.status).toBe(429)
    expect(fourth.response.body).toEqual({
      error: { code: 'RATE_LIMITED', message: 'Rate limit exceeded' },
    })
    expect(fourth.response.headers['retry-after']).toMatch(/^\d+$/)
    expect(Number(fourth.response.headers['retry-after'])).toBeGreaterThan(0)
    expect(Number(fourth.response.headers['retry-after'])).toBeLessThanOrEqual(63)
    expect(fourth.response.headers['www-authenticate']).toBeUndefined()
    // Capped: neither the key store nor the limit store is asked, even for a valid key.
    const lookups = h.spy.calls.findByHash
    const charges = h.limitStore.checks.length
    for (const presented of [generateApiKey('u123'), key, 'garbage']) {
      const capped = await guard(from('203.0.113.7', presented))
      expect(capped.ok ? 200 : capped.response.status).toBe(429)
    }
    expect(h.spy.calls.findByHash).toBe(lookups)
    expect(h.limitStore.checks.length).toBe(charges)
    // Another address is untouched.
    expect((await guard(from('198.51.100.1', key))).ok).toBe(true)
  })

  test('only 401s count: successes and 403s are never charged', async () => {
    const h = harness(1)
    const { key } = await h.issue()
    const read = createApiKeyGuard(h.auth, { scopes: ['models:read'] })
    const write = createApiKeyGuard(h.auth, { scopes: ['models:write'] })
    for (let i = 0; i < 5; i++) {
      expect((await read(from('203.0.113.7', key))).ok).toBe(true)
      const forbidden = await write(from('203.0.113.7', key))
      expect(forbidden.ok ? 200 : forbidden.response.status).toBe(403)
    }
    expect(h.limitStore.checks).toEqual([])
    const missing = await read(from('203.0.113.7'))
    expect(missing.ok ? 200 : missing.response.status).toBe(401)
    expect(h.limitStore.checks.map((c) => c.subject)).toEqual(['failed-auth:203.0.113.7'])
  })

  test('the window slides: after it, the address is verified again', async () => {
    const h = harness(2)
    const { key } = await h.issue()
    const guard = createApiKeyGuard(h.auth)
    const status = async (k?: string) => {
      const r = await guard(from('203.0.113.7', k))
      return r.ok ? 200 : r.response.status
    }
    expect([await status(), await status(), await status(), await status(key)]).toEqual([
      401, 401, 429, 429,
    ])
    h.clock.advance(30_000)
    expect(await status(key)).toBe(429)
    // Both failures leave the window at 60 s plus at most one bucket (3 s).
    h.clock.advance(33_001)
    expect(await status(key)).toBe(200)
    expect(await status()).toBe(401)
  })

  test('the cap is shared by every instance on the store (a fleet of two)', async () => {
    const shared = new MemoryLimitStore()
    const keys = new MemoryKeyStore()
    const make = () =>
      createApiKeyAuth({
        store: keys,
        limits: { store: shared, failedAuth: { limit: 4, windowMs: MINUTE } },
      })
    const guards = [createApiKeyGuard(make()), createApiKeyGuard(make())]
    const statuses: number[] = []
    for (let i = 0; i < 8; i++) {
      const r = await (guards[i % 2] as (typeof guards)[0])(from('203.0.113.7'))
      statuses.push(r.ok ? 200 : r.response.status)
    }
    // Exactly 4 answers 401 across both instances; each then learns the cap on its next failure.
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429, 429, 429])
  })

  test('IPv6 addresses of one /64 share a cap; a different /64 does not', async () => {
    const h = harness(2)
    const guard = createApiKeyGuard(h.auth)
    const status = async (address: string) => {
      const r = await guard(from(address))
      return r.ok ? 200 : r.response.status
    }
    expect(await status('2001:db8:1:2::1')).toBe(401)
    expect(await status('2001:db8:1:2:ffff::9')).toBe(401)
    expect(await status('2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd')).toBe(429)
    expect(await status('2001:db8:1:3::1')).toBe(401)
    expect(failedAuthSubject('2001:db8::1')).toBe('failed-auth:2001:db8:0:0::/64')
    expect(failedAuthSubject('::1')).toBe('failed-auth:0:0:0:0::/64')
    expect(failedAuthSubject('192.0.2.1')).toBe('failed-auth:192.0.2.1')
  })

  test('a request without a known address is not throttled', async () => {
    const h = harness(1)
    const guard = createApiKeyGuard(h.auth)
    for (let i = 0; i < 3; i++) {
      const r = await guard({ headers: {} })
      expect(r.ok ? 200 : r.response.status).toBe(401)
    }
    expect(h.limitStore.checks).toEqual([])
  })

  test('a failing limit store leaves the 401 as it is, with a warning; never a 500', async () => {
    const h = setup({
      limits: {
        store: { consume: () => Promise.reject(new Error('ECONNREFUSED')) },
        failedAuth: { limit: 1, windowMs: MINUTE },
      },
    })
    const guard = createApiKeyGuard(h.auth)
    for (let i = 0; i < 3; i++) {
      const r = await guard(from('203.0.113.7'))
      expect(r.ok ? 200 : r.response.status).toBe(401)
    }
    expect(h.logs.lines.some((e) => e.level === 'warn' && /not counted/.test(e.message))).toBe(true)
  })

  test('off by default: no throttle, nothing charged', async () => {
    const h = setup()
    expect(h.auth.failedAuthThrottle).toBeUndefined()
    const guard = createApiKeyGuard(h.auth)
    for (let i = 0; i < 20; i++) {
      const r = await guard(from('203.0.113.7'))
      expect(r.ok ? 200 : r.response.status).toBe(401)
    }
  })
})

describe('failedAuth options', () => {
  test.each([
    [{ limit: 0, windowMs: MINUTE }],
    [{ limit: 1.5, windowMs: MINUTE }],
    [{ limit: 1, windowMs: 999 }],
    [{ limit: 1, windowMs: 31 * 86_400_000 + 1 }],
    [{ limit: 1, windowMs: MINUTE, trustProxy: true }],
    [{ limit: 1, windowMs: MINUTE, trustProxy: ['10.0.0.1'] }],
    [{ limit: 1, windowMs: MINUTE, trustProxy: -1 }],
    [{ limit: 1, windowMs: MINUTE, trustProxy: 11 }],
    [{ limit: 1, windowMs: MINUTE, extra: 1 }],
    [{ windowMs: MINUTE }],
  ])('%j is CONFIGURATION_ERROR at start-up', (failedAuth) => {
    expect(() =>
      createApiKeyAuth({
        store: new MemoryKeyStore(),
        limits: { failedAuth: failedAuth as never },
      }),
    ).toThrow(expect.objectContaining({ code: 'CONFIGURATION_ERROR' }))
  })

  test('trustProxy: true names what is supported instead', () => {
    expect(() =>
      createApiKeyAuth({
        store: new MemoryKeyStore(),
        limits: { failedAuth: { limit: 1, windowMs: MINUTE, trustProxy: true as never } },
      }),
    ).toThrow(/number of trusted proxies/)
  })

  test('the web adapters need clientAddress, or a trusted proxy, when throttling is on', () => {
    const on = (trustProxy: number) =>
      createApiKeyAuth({
        store: new MemoryKeyStore(),
        limits: { failedAuth: { limit: 1, windowMs: MINUTE, trustProxy } },
      })
    const handler = () => new Response('ok')
    const configError = expect.objectContaining({ code: 'CONFIGURATION_ERROR' })
    expect(() => fetchGuard(on(0))).toThrow(configError)
    expect(() => honoGuard(on(0))).toThrow(configError)
    expect(() => withApiKey(on(0), {}, handler)).toThrow(configError)
    expect(() => fetchGuard(on(0), { clientAddress: 'x' as never })).toThrow(configError)
    expect(() => fetchGuard(on(0), { clientAddress: () => '192.0.2.1' })).not.toThrow()
    expect(() => honoGuard(on(1))).not.toThrow()
    expect(() => withApiKey(on(1), {}, handler)).not.toThrow()
    // Off: nothing is required.
    expect(() => fetchGuard(createApiKeyAuth({ store: new MemoryKeyStore() }))).not.toThrow()
  })
})

describe('the 429 of failed-authentication throttling: headers and auth.throttled', () => {
  const delivered = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

  test('both 429s carry Retry-After and the failed-auth RateLimit headers; one event per block, nothing of the key', async () => {
    const h = harness(2)
    const events: unknown[] = []
    h.auth.on('auth.throttled', (event) => void events.push(event))
    const guard = createApiKeyGuard(h.auth, { scopes: ['models:read'] })
    const presented = generateApiKey('u123')
    const request = { ...from('203.0.113.7', presented), method: 'GET', path: '/v1/models' }
    for (let i = 0; i < 2; i++) await guard(request)
    // The store refuses the third failure: the block begins.
    const first = await guard(request)
    // This instance now refuses before any lookup.
    const second = await guard(request)
    for (const result of [first, second]) {
      expect(result.ok).toBe(false)
      if (result.ok) return
      expect(result.response.status).toBe(429)
      const headers = result.response.headers
      expect(headers['ratelimit-policy']).toBe('"failed-auth";q=2;w=60')
      expect(headers.ratelimit).toMatch(/^"failed-auth";r=0;t=\d+$/)
      // The reset is when one more failure fits again, which is what Retry-After says.
      expect(headers.ratelimit).toBe(`"failed-auth";r=0;t=${headers['retry-after']}`)
    }
    await delivered()
    for (const event of events) parseEvent(event)
    expect(events).toEqual([
      {
        type: 'auth.throttled',
        at: expect.any(Date),
        limit: 'failed-auth',
        subject: '203.0.113.7',
        retryAfterMs: expect.any(Number),
        request: { method: 'GET', path: '/v1/models', clientAddress: '203.0.113.7' },
      },
    ])
    expect(JSON.stringify(events)).not.toContain(presented)
    expect(JSON.stringify(events)).not.toContain(presented.slice(-20))
  })

  test('an IPv6 client is reported by its /64; with limits.headers off only Retry-After is sent', async () => {
    const h = setup({
      limits: { headers: false, failedAuth: { limit: 1, windowMs: MINUTE } },
    })
    const events: { subject: string }[] = []
    h.auth.on('auth.throttled', (event) => void events.push(event))
    const guard = createApiKeyGuard(h.auth)
    const address = '2001:db8:1:2:aaaa:bbbb:cccc:dddd'
    await guard(from(address, generateApiKey('u123')))
    const refused = await guard(from(address, generateApiKey('u123')))
    expect(refused.ok).toBe(false)
    if (refused.ok) return
    expect(refused.response.status).toBe(429)
    expect(refused.response.headers['retry-after']).toMatch(/^\d+$/)
    expect(refused.response.headers['ratelimit']).toBeUndefined()
    expect(refused.response.headers['ratelimit-policy']).toBeUndefined()
    await delivered()
    expect(events.map((event) => event.subject)).toEqual(['2001:db8:1:2::/64'])
  })
})
