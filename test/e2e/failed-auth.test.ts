/**
 * LIM-FA: failed-authentication throttling over real HTTP on every framework build. Each build
 * gets its own services (the cap is state), all of them behind the same test service as the
 * golden table. Without trustProxy a spoofed X-Forwarded-For does not escape the cap; with
 * trustProxy 1 the address the proxy appended is the one counted; once capped, nothing is
 * looked up; the 429 is byte-identical everywhere.
 */
import { afterAll, describe, expect, test } from 'vitest'
import { createApiKeyAuth, type ApiKeyAuth, MemoryLimitStore } from '../../src/index.js'
import { createLogSink } from '../support/log-sink.js'
import { registerKey } from '../support/secret-scan.js'
import { createStoreSpy, type StoreSpy } from '../support/store-spy.js'
import { type Framework, type RunningApp, startApp } from './apps.js'
import { REGISTRY } from './fixture.js'
import { type Res, send } from './http.js'

const FRAMEWORKS: Framework[] = ['express', 'express4', 'fastify', 'koa', 'koa2', 'hono', 'fetch']
const MODELS = '/api/v1/models'

interface Throttled {
  app: RunningApp
  spy: StoreSpy
  auth: ApiKeyAuth
  key: string
}

async function start(framework: Framework, trustProxy: number): Promise<Throttled> {
  const spy = createStoreSpy()
  const logs = createLogSink()
  const auth = createApiKeyAuth({
    store: spy.store,
    scopes: REGISTRY,
    logger: logs.logger,
    limits: {
      store: new MemoryLimitStore(),
      failedAuth: { limit: 2, windowMs: 3_600_000, trustProxy },
    },
  })
  const failing = createApiKeyAuth({ store: createStoreSpy().store, logger: logs.logger })
  const { key } = await auth.createKey({ userId: 'u123', name: 'ok', scopes: ['models:read'] })
  registerKey(key)
  const app = await startApp(framework, { auth, failing, onHit: () => {}, frameworkErrors: [] })
  return { app, spy, auth, key }
}

const get = (t: Throttled, key: string, forwardedFor?: string): Promise<Res> =>
  send(t.app.url, {
    path: MODELS,
    headers: [
      ['Authorization', `Bearer ${key}`],
      ...(forwardedFor === undefined
        ? []
        : [['X-Forwarded-For', forwardedFor] as [string, string]]),
    ],
  })

const BAD = 'vyd_live_u123_00000000000000000000000000000000_AAAAAA'
const answers = new Map<Framework, string[]>()
const running: RunningApp[] = []
afterAll(async () => {
  for (const app of running) await app.close()
})

describe.each(FRAMEWORKS)('LIM-FA failed-authentication throttling on %s', (framework) => {
  test('LIM-FA-01 without trustProxy, a spoofed X-Forwarded-For does not escape the cap', async () => {
    const t = await start(framework, 0)
    running.push(t.app)
    const statuses: number[] = []
    for (const spoof of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) {
      statuses.push((await get(t, BAD, spoof)).status)
    }
    expect(statuses).toEqual([401, 401, 429])
    const lookups = t.spy.calls.findByHash
    const capped = await get(t, t.key, '192.0.2.4')
    expect(capped.status).toBe(429)
    expect(JSON.parse(capped.text)).toEqual({
      error: { code: 'RATE_LIMITED', message: 'Rate limit exceeded' },
    })
    expect(capped.headers['retry-after']).toMatch(/^[1-9]\d*$/)
    expect(capped.headers['www-authenticate']).toBeUndefined()
    // Capped: the valid key was neither hashed into a lookup nor looked up.
    expect(t.spy.calls.findByHash).toBe(lookups)
    answers.set(framework, [
      String(capped.status),
      capped.text,
      capped.headers['content-type'] ?? '',
      capped.headers['cache-control'] ?? '',
    ])
  })

  test('LIM-FA-02 with trustProxy 1, the address the proxy appended is the one counted', async () => {
    const t = await start(framework, 1)
    running.push(t.app)
    // The client writes the leftmost entries; the proxy appends the address it saw.
    expect((await get(t, BAD, '203.0.113.9')).status).toBe(401)
    expect((await get(t, BAD, '198.51.100.1, 203.0.113.9')).status).toBe(401)
    expect((await get(t, BAD, '198.51.100.2, 203.0.113.9')).status).toBe(429)
    expect((await get(t, t.key, '198.51.100.3, 203.0.113.9')).status).toBe(429)
    // Another client behind the same proxy is not affected, even naming the capped one first.
    expect((await get(t, t.key, '203.0.113.9, 203.0.113.10')).status).toBe(200)
    expect((await get(t, BAD, '203.0.113.10')).status).toBe(401)
  })
})

test('LIM-FA-03 the capped answer is byte-identical on every framework', () => {
  const reference = answers.get('express')
  expect(reference).toBeDefined()
  for (const framework of FRAMEWORKS)
    expect([framework, answers.get(framework)]).toEqual([framework, reference])
})
