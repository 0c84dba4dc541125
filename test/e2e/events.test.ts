/**
 * Events over real HTTP on every framework build: `auth.denied` carries the method, the path and
 * the client address the framework resolved (the web builds through their `clientAddress`
 * option), the same payload on every build for the same request; the key routes name the actor (the session user or
 * the `*` key) of `key.created` and `key.revoked`. Payloads hold to the strict schemas.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { AuthEventMap, AuthEventName } from '../../src/index.js'
import { parseEvent } from '../support/event-schemas.js'
import { registerKey } from '../support/secret-scan.js'
import { type Framework, type RunningApp, startApp } from './apps.js'
import { createFixture, type Fixture } from './fixture.js'
import { json, send } from './http.js'

const FRAMEWORKS: readonly Framework[] = [
  'express',
  'express4',
  'fastify',
  'koa',
  'koa2',
  'hono',
  'fetch',
]
const LOOPBACK = /^(?:127\.0\.0\.1|::ffff:127\.0\.0\.1|::1)$/

// Listeners run on a later turn of the event loop.
const delivered = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe.each(FRAMEWORKS)('events over %s', (framework) => {
  let f: Fixture
  let app: RunningApp
  const seen: { type: AuthEventName; event: AuthEventMap[AuthEventName] }[] = []
  beforeAll(async () => {
    f = await createFixture()
    app = await startApp(framework, f)
    for (const type of ['auth.denied', 'key.created', 'key.revoked'] as const) {
      f.auth.on(type, (event) => void seen.push({ type, event }))
    }
  })
  afterAll(async () => {
    await app?.close()
  })

  const take = async (): Promise<Record<string, unknown>[]> => {
    await delivered()
    const events = seen.splice(0).map((s) => s.event as unknown as Record<string, unknown>)
    for (const event of events) parseEvent(event)
    return events
  }

  test('a refused key: auth.denied with the method, path and client address', async () => {
    const unknown = await send(app.url, {
      path: '/api/v1/models',
      headers: [['Authorization', `Bearer ${f.keys.unknown}`]],
    })
    expect(unknown.status).toBe(401)
    const scope = await send(app.url, {
      path: '/api/v1/models',
      headers: [['Authorization', `Bearer ${f.keys.accountRead}`]],
    })
    expect(scope.status).toBe(403)
    const [first, second, ...rest] = await take()
    expect(rest).toEqual([])
    expect(first).toMatchObject({
      code: 'KEY_NOT_FOUND',
      keyId: null,
      requiredScopes: ['models:read'],
      request: { method: 'GET', path: '/api/v1/models' },
    })
    expect((first?.request as { clientAddress: string }).clientAddress).toMatch(LOOPBACK)
    expect(second).toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
      keyId: f.keyIds.accountRead,
      userId: 'u123',
    })
  })

  test('key routes: key.created by the session user, key.revoked by the * key', async () => {
    const created = await send(app.url, {
      method: 'POST',
      path: '/api/v1/api-keys',
      headers: [
        ['Cookie', await f.cookie('u123')],
        ['Origin', app.url],
        ['Content-Type', 'application/json'],
      ],
      body: JSON.stringify({ name: 'from events test', scopes: ['models:read'] }),
    })
    expect(created.status).toBe(201)
    const { id, key } = json<{ id: string; key: string }>(created)
    registerKey(key)
    f.secrets.push(key)
    const revoked = await send(app.url, {
      method: 'DELETE',
      path: `/api/v1/api-keys/${id}`,
      headers: [['Authorization', `Bearer ${f.keys.star}`]],
    })
    expect(revoked.status).toBe(200)
    const events = await take()
    expect(events).toMatchObject([
      {
        type: 'key.created',
        keyId: id,
        actor: { type: 'user', id: 'u123' },
        request: { method: 'POST', path: '/api/v1/api-keys' },
      },
      {
        type: 'key.revoked',
        keyId: id,
        actor: { type: 'key', id: f.keyIds.star },
        request: { method: 'DELETE', path: `/api/v1/api-keys/${id}` },
      },
    ])
    for (const event of events) {
      expect((event.request as { clientAddress: string }).clientAddress).toMatch(LOOPBACK)
    }
  })
})

describe('auth.denied parity: the same payload on every build for the same request', () => {
  let f: Fixture
  const apps = new Map<Framework, RunningApp>()
  const denied: Record<string, unknown>[] = []
  beforeAll(async () => {
    f = await createFixture()
    for (const fw of FRAMEWORKS) apps.set(fw, await startApp(fw, f))
    f.auth.on('auth.denied', (event) => void denied.push({ ...event }))
  })
  afterAll(async () => {
    for (const app of apps.values()) await app.close()
  })

  const REQUESTS = [
    { label: 'unknown key', path: '/api/v1/models', key: () => f.keys.unknown },
    { label: 'missing scope', path: '/api/v1/models', key: () => f.keys.accountRead },
    { label: 'revoked key', path: '/api/v1/models', key: () => f.keys.revoked },
    { label: 'malformed', path: '/api/v1/models', key: () => 'not-a-key' },
  ]

  test.each(REQUESTS)('$label', async ({ path, key }) => {
    const payloads = new Map<Framework, Record<string, unknown>>()
    for (const fw of FRAMEWORKS) {
      const res = await send((apps.get(fw) as RunningApp).url, {
        path: `${path}?page=2`,
        headers: [['Authorization', `Bearer ${key()}`]],
      })
      expect(res.status).toBeGreaterThanOrEqual(400)
      await delivered()
      const events = denied.splice(0)
      expect(events).toHaveLength(1)
      parseEvent(events[0])
      const { at, ...payload } = events[0] as Record<string, unknown>
      expect(at).toBeInstanceOf(Date)
      payloads.set(fw, payload)
    }
    const reference = payloads.get('express') as Record<string, unknown>
    expect(reference.request).toMatchObject({ method: 'GET', path })
    for (const fw of FRAMEWORKS) expect({ fw, ...payloads.get(fw) }).toEqual({ fw, ...reference })
  })
})
