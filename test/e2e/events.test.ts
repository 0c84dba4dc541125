/**
 * Events over real HTTP on every framework build: `auth.denied` carries the method, the path and
 * the client address the framework resolved; the key routes name the actor (the session user or
 * the `*` key) of `key.created` and `key.revoked`. Payloads hold to the strict schemas.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { AuthEventMap, AuthEventName } from '../../src/index.js'
import { parseEvent } from '../support/event-schemas.js'
import { registerKey } from '../support/secret-scan.js'
import { type Framework, type RunningApp, startApp } from './apps.js'
import { createFixture, type Fixture } from './fixture.js'
import { json, send } from './http.js'

const FRAMEWORKS: readonly Framework[] = ['express', 'express4', 'fastify', 'koa', 'koa2']
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
