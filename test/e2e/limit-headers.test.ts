/**
 * LIM-H: the RateLimit fields of an admitted request on every framework build, Next.js
 * included: the same bytes as Express, Fastify and Koa send (a fresh key per framework, one fake
 * clock, so `r` and `t` agree), and none at all with `limits.headers: false` (a 429 then keeps
 * `Retry-After`).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { withApiKey } from '../../adapters/frameworks/next/index.js'
import {
  type ApiKeyAuth,
  createApiKeyAuth,
  MemoryKeyStore,
  MemoryLimitStore,
} from '../../src/index.js'
import { createClock } from '../support/clock.js'
import { createLogSink } from '../support/log-sink.js'
import { registerKey } from '../support/secret-scan.js'
import { type Framework, type RunningApp, startApp } from './apps.js'
import { json } from './fetch-app.js'
import { REGISTRY } from './fixture.js'

const FRAMEWORKS: Framework[] = ['express', 'express4', 'fastify', 'koa', 'koa2', 'hono', 'fetch']
const LIMITS = {
  rate: [
    { name: 'burst', limit: 10, windowMs: 1_000 },
    { name: 'daily', limit: 1_000, windowMs: 86_400_000 },
  ],
  credits: { remaining: 100, refill: { amount: 100, intervalMs: 30 * 86_400_000 } },
}
const ONE = { rate: [{ name: 'minute', limit: 1, windowMs: 60_000 }] }

function service(headers: boolean): ApiKeyAuth {
  const clock = createClock()
  return createApiKeyAuth({
    store: new MemoryKeyStore(),
    scopes: REGISTRY,
    now: clock.now,
    logger: createLogSink().logger,
    limits: { store: new MemoryLimitStore(), headers },
  })
}

async function keyOf(auth: ApiKeyAuth, limits: object): Promise<string> {
  const { key } = await auth.createKey({
    userId: 'plan_user',
    name: 'k',
    scopes: ['models:read'],
    limits,
  })
  registerKey(key)
  return key
}

type Target = Framework | 'next'
const TARGETS: Target[] = [...FRAMEWORKS, 'next']

describe.each([true, false])('LIM-H RateLimit fields with limits.headers %s', (headersOn) => {
  const apps = new Map<Target, { auth: ApiKeyAuth; call(key: string): Promise<Response> }>()
  const running: RunningApp[] = []
  beforeAll(async () => {
    for (const target of TARGETS) {
      const auth = service(headersOn)
      if (target === 'next') {
        const GET = withApiKey(auth, { scopes: ['models:read'] }, async (_request, _ctx, key) =>
          json({ route: '/api/v1/models', userId: key.userId }),
        )
        apps.set(target, {
          auth,
          call: (key) =>
            GET(
              new Request('http://127.0.0.1/api/v1/models', {
                headers: { authorization: `Bearer ${key}` },
              }),
              {},
            ),
        })
        continue
      }
      const failing = createApiKeyAuth({ store: new MemoryKeyStore() })
      const app = await startApp(target, { auth, failing, onHit: () => {}, frameworkErrors: [] })
      running.push(app)
      apps.set(target, {
        auth,
        call: (key) =>
          fetch(`${app.url}/api/v1/models`, { headers: { authorization: `Bearer ${key}` } }),
      })
    }
  })
  afterAll(async () => {
    for (const app of running) await app.close()
  })

  const fields = (response: Response) => ({
    status: response.status,
    policy: response.headers.get('ratelimit-policy'),
    state: response.headers.get('ratelimit'),
    retry: response.headers.get('retry-after'),
  })

  test('an admitted request: the same fields, byte for byte, on every framework', async () => {
    const seen = new Map<Target, ReturnType<typeof fields>>()
    for (const [target, app] of apps) {
      const response = await app.call(await keyOf(app.auth, LIMITS))
      await response.text()
      seen.set(target, fields(response))
    }
    const expected = headersOn
      ? {
          status: 200,
          policy: '"burst";q=10;w=1, "daily";q=1000;w=86400, "credits";q=100',
          state: '"burst";r=9;t=2, "daily";r=999;t=90720, "credits";r=99;t=2592000',
          retry: null,
        }
      : { status: 200, policy: null, state: null, retry: null }
    for (const target of TARGETS) expect([target, seen.get(target)]).toEqual([target, expected])
  })

  test('a refused request: 429 with Retry-After, and the fields only when headers are on', async () => {
    for (const [target, app] of apps) {
      const key = await keyOf(app.auth, ONE)
      await (await app.call(key)).text()
      const refused = await app.call(key)
      await refused.text()
      expect([target, fields(refused)]).toEqual([
        target,
        {
          status: 429,
          policy: headersOn ? '"minute";q=1;w=60' : null,
          state: headersOn ? '"minute";r=0;t=63' : null,
          retry: '63',
        },
      ])
    }
  })
})
