/**
 * The Hono adapter's hit path (issue 15's benchmark: Hono on @hono/node-server next to a
 * hand-written middleware, docs/benchmarks.md "Hono adapter"): on a cache hit the handler runs
 * in the same turn as the request, the request's `Headers` are read by name and never
 * enumerated (enumerating makes @hono/node-server build a full `Headers` per request), and every
 * route shares one view class (adapters/frameworks/hono/context-accessors.ts).
 */
import { Hono, type MiddlewareHandler } from 'hono'
import { describe, expect, it } from 'vitest'
import { requireApiKey } from '../../adapters/frameworks/hono/index.js'
import { setup } from '../support/setup.js'
import { watched } from '../support/watched-headers.js'

async function appWith(options: Parameters<typeof requireApiKey>[1] = {}) {
  const h = setup()
  const { key } = await h.issue({ scopes: ['models:read'] })
  await h.auth.verifyKey(key) // warm: the next verification is a cache hit
  let ran = 0
  const app = new Hono()
  const guard = requireApiKey(h.auth, { scopes: ['models:read'], ...options })
  app.get('/api/v1/models', guard as MiddlewareHandler, (c) => {
    ran++
    return c.json({ userId: (c.get('auth' as never) as { userId: string } | null)?.userId })
  })
  return { h, key, app, ran: () => ran }
}

describe('Hono adapter hit path', () => {
  it('on a cache hit the handler runs in the same turn: no await between the guard and next()', async () => {
    const { key, app, ran } = await appWith()
    const pending = app.fetch(
      new Request('http://app.example/api/v1/models', {
        headers: { authorization: `Bearer ${key}` },
      }),
    )
    expect(ran()).toBe(1)
    const response = await pending
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ userId: 'u123' })
  })

  it('a miss (a store read) still reaches the handler, after the read', async () => {
    const h = setup()
    const { key } = await h.issue({ scopes: ['models:read'] })
    const app = new Hono()
    app.get('/x', requireApiKey(h.auth) as MiddlewareHandler, (c) => c.text('ok'))
    const response = await app.request('/x', { headers: { authorization: `Bearer ${key}` } })
    expect([response.status, await response.text()]).toEqual([200, 'ok'])
  })

  it('reads Authorization by name and never enumerates the request headers', async () => {
    const { key, app, h } = await appWith()
    const hit = watched(`Bearer ${key}`)
    expect((await app.fetch(hit.request)).status).toBe(200)
    expect(hit.names).toEqual(['authorization'])
    expect(hit.enumerations()).toBe(0)

    const refused = watched('Bearer not_a_key')
    const response = await app.fetch(refused.request)
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /)
    expect(refused.enumerations()).toBe(0)

    // With an auth.denied listener, the event reads the client address: still by name.
    h.auth.on('auth.denied', () => {})
    const denied = watched('Bearer not_a_key')
    expect((await app.fetch(denied.request)).status).toBe(401)
    expect(denied.enumerations()).toBe(0)
  })

  it('optional: no header is anonymous, a bad one is still 401; neither enumerates', async () => {
    const { app } = await appWith({ optional: true })
    const anonymous = watched()
    const response = await app.fetch(anonymous.request)
    expect([response.status, await response.json()]).toEqual([200, {}])
    expect(anonymous.enumerations()).toBe(0)
    const bad = watched('')
    expect((await app.fetch(bad.request)).status).toBe(401)
    expect(bad.enumerations()).toBe(0)
  })

  it('every route shares one view class without a resolver, and one per resolver function', async () => {
    const h = setup()
    const { key } = await h.issue({ scopes: ['models:read'] })
    const seen = new Set<unknown>()
    const spied = Object.assign(Object.create(Object.getPrototypeOf(h.auth) as object), h.auth, {
      authenticate: (authorization: unknown, options: { request?: object }) => {
        seen.add(Object.getPrototypeOf(options.request))
        return h.auth.authenticate(authorization, options)
      },
    }) as typeof h.auth
    const resolver = () => '198.51.100.4'
    const app = new Hono()
    for (const [i, scopes] of [['models:read'], [], { anyOf: ['models:read'] }].entries()) {
      app.get(`/a${i}`, requireApiKey(spied, { scopes }) as MiddlewareHandler, (c) => c.text('a'))
      const withResolver = requireApiKey(spied, { scopes, clientAddress: resolver })
      app.get(`/b${i}`, withResolver as MiddlewareHandler, (c) => c.text('b'))
    }
    for (const path of ['/a0', '/a1', '/a2', '/b0', '/b1', '/b2']) {
      const response = await app.request(path, { headers: { authorization: `Bearer ${key}` } })
      expect(response.status).toBe(200)
    }
    expect(seen.size).toBe(2)
  })
})
