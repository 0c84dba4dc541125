/**
 * The web adapters (fetch, Hono, Next.js) put the request's method and path in `auth.denied`
 * and `key.*` events, and the client address when their `clientAddress` option resolves one: the
 * same payload, for the same request, on each of them.
 */
import { Hono } from 'hono'
import { describe, expect, test } from 'vitest'
import * as fe from '../../adapters/frameworks/fetch/index.js'
import * as ho from '../../adapters/frameworks/hono/index.js'
import * as nx from '../../adapters/frameworks/next/index.js'
import {
  type AuthDeniedEvent,
  createApiKeyAuth,
  type KeyCreatedEvent,
  MemoryKeyStore,
} from '../../src/index.js'
import { createLogSink } from '../support/log-sink.js'
import { registerKey } from '../support/secret-scan.js'

const ADDRESS = '203.0.113.9'
const delivered = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

async function setup() {
  const auth = createApiKeyAuth({
    store: new MemoryKeyStore(),
    scopes: ['models:read', 'jobs:read'],
    logger: createLogSink().logger,
  })
  const { key } = await auth.createKey({ userId: 'u1', name: 'k', scopes: ['models:read'] })
  registerKey(key)
  const denied: AuthDeniedEvent[] = []
  auth.on('auth.denied', (event) => void denied.push(event))
  return { auth, key, denied }
}

const get = (path: string, key: string, extra: Record<string, string> = {}): Request =>
  new Request(`https://app.example${path}?q=1`, {
    headers: { authorization: `Bearer ${key}`, 'x-client': ADDRESS, ...extra },
  })
const fromHeader = (request: Request): string | undefined =>
  request.headers.get('x-client') ?? undefined

// One denied request through each web adapter; the payload without its time.
async function deniedThrough(
  adapter: 'fetch' | 'hono' | 'next',
  options: { resolve: boolean },
): Promise<Omit<AuthDeniedEvent, 'at'>> {
  const { auth, key, denied } = await setup()
  const scopes = ['jobs:read']
  const request = get('/api/v1/jobs', key)
  if (adapter === 'fetch') {
    const guard = fe.requireApiKey(auth, {
      scopes,
      ...(options.resolve ? { clientAddress: fromHeader } : {}),
    })
    expect(await guard(request)).toBeInstanceOf(Response)
  } else if (adapter === 'next') {
    const handler = nx.withApiKey(
      auth,
      { scopes, ...(options.resolve ? { clientAddress: fromHeader } : {}) },
      () => new Response('never'),
    )
    expect((await handler(request, {})).status).toBe(403)
  } else {
    const app = new Hono()
    const guard = ho.requireApiKey(auth, {
      scopes,
      ...(options.resolve ? { clientAddress: (c) => fromHeader(c.req.raw) } : {}),
    })
    app.get('/api/v1/jobs', guard, (c) => c.text('never'))
    expect((await app.request(request)).status).toBe(403)
  }
  await delivered()
  expect(denied).toHaveLength(1)
  const { at, ...rest } = denied[0] as AuthDeniedEvent
  expect(at).toBeInstanceOf(Date)
  return rest
}

describe('request metadata from the web adapters', () => {
  test.each(['fetch', 'hono', 'next'] as const)(
    '%s: auth.denied carries the method, the path and the resolved client address',
    async (adapter) => {
      const event = await deniedThrough(adapter, { resolve: true })
      expect(event).toMatchObject({
        code: 'INSUFFICIENT_SCOPE',
        userId: 'u1',
        requiredScopes: ['jobs:read'],
        request: { method: 'GET', path: '/api/v1/jobs', clientAddress: ADDRESS },
      })
    },
  )

  test('the same payload on every web adapter, with and without a resolver', async () => {
    for (const resolve of [true, false]) {
      const [fetchEvent, honoEvent, nextEvent] = [
        await deniedThrough('fetch', { resolve }),
        await deniedThrough('hono', { resolve }),
        await deniedThrough('next', { resolve }),
      ].map(({ keyId, keyPrefix, ...rest }) => {
        expect(typeof keyId).toBe('string')
        expect(keyPrefix).toMatch(/^vydra_live_user_u1_/)
        return rest
      })
      expect(honoEvent).toEqual(fetchEvent)
      expect(nextEvent).toEqual(fetchEvent)
      expect(fetchEvent?.request).toEqual(
        resolve
          ? { method: 'GET', path: '/api/v1/jobs', clientAddress: ADDRESS }
          : { method: 'GET', path: '/api/v1/jobs' },
      )
    }
  })

  test('a resolver that throws or answers a non-string leaves the address out', async () => {
    const { auth, key, denied } = await setup()
    const throwing = fe.requireApiKey(auth, {
      scopes: ['jobs:read'],
      clientAddress: () => {
        throw new Error('no address here')
      },
    })
    const odd = fe.requireApiKey(auth, {
      scopes: ['jobs:read'],
      clientAddress: (() => 42) as unknown as fe.WebClientAddress,
    })
    expect(await throwing(get('/a', key))).toBeInstanceOf(Response)
    expect(await odd(get('/b', key))).toBeInstanceOf(Response)
    await delivered()
    expect(denied.map((event) => event.request)).toEqual([
      { method: 'GET', path: '/a' },
      { method: 'GET', path: '/b' },
    ])
  })

  test('clientAddress that is not a function is a CONFIGURATION_ERROR at set-up', async () => {
    const { auth } = await setup()
    const bad = { clientAddress: 'x-forwarded-for' } as unknown as fe.RequireApiKeyOptions
    expect(() => fe.requireApiKey(auth, bad)).toThrow(/clientAddress must be a function/)
    expect(() => fe.apiKeyRoutes(auth, bad)).toThrow(/clientAddress must be a function/)
    expect(() => nx.withApiKey(auth, bad, () => new Response())).toThrow(/clientAddress/)
    expect(() => nx.apiKeyRoutes(auth, bad)).toThrow(/clientAddress/)
    expect(() => ho.requireApiKey(auth, bad as ho.RequireApiKeyOptions)).toThrow(/clientAddress/)
    expect(() => ho.apiKeyRoutes(auth, bad as ho.HonoApiKeyRoutesOptions)).toThrow(/clientAddress/)
  })

  test('the key routes put the resolved address in key.created on every web adapter', async () => {
    const session = {
      authenticate: async () => ({ userId: 'u1' }),
    }
    const created: KeyCreatedEvent[] = []
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      scopes: ['models:read'],
      logger: createLogSink().logger,
    })
    auth.on('key.created', (event) => void created.push(event))
    const post = (): Request =>
      new Request('https://app.example/api/v1/api-keys', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-client': ADDRESS,
        },
        body: JSON.stringify({ name: 'web', scopes: ['models:read'] }),
      })
    const honoApp = new Hono()
    honoApp.route(
      '/',
      ho.apiKeyRoutes(auth, { session, clientAddress: (c) => fromHeader(c.req.raw) }),
    )
    const responses = [
      await fe.apiKeyRoutes(auth, { session, clientAddress: fromHeader }).fetch(post()),
      await honoApp.request(post()),
      await nx.apiKeyRoutes(auth, { session, clientAddress: fromHeader }).POST(post()),
    ]
    for (const response of responses) {
      expect(response.status).toBe(201)
      registerKey(((await response.json()) as { key: string }).key)
    }
    await delivered()
    expect(created.map((event) => event.request)).toEqual(
      Array(3).fill({ method: 'POST', path: '/api/v1/api-keys', clientAddress: ADDRESS }),
    )
  })
})
