/**
 * The Fastify hook of `requireApiKey` is a promise-returning function, not an `async` one
 * (adapters/frameworks/fastify/index.ts): a hit returns one promise settled once for all; a
 * refusal settles only with the reply, so the route's handler never runs, even while an
 * application's `onSend` hook still holds the 401.
 */
import Fastify from 'fastify'
import { describe, expect, test } from 'vitest'
import { requireApiKey } from '../../adapters/frameworks/fastify/index.js'
import { createApiKeyAuth, MemoryKeyStore } from '../../src/index.js'
import { registerKey } from '../support/secret-scan.js'

async function service() {
  const auth = createApiKeyAuth({ store: new MemoryKeyStore(), logger: false })
  const created = await auth.createKey({ userId: 'u1', name: 'k', scopes: ['models:read'] })
  registerKey(created.key)
  return { auth, key: created.key }
}

describe('@vydra/auth/fastify requireApiKey hook', () => {
  test('a hit returns the same settled promise every time, and the principal is set', async () => {
    const { auth, key } = await service()
    const hook = requireApiKey(auth, { scopes: ['models:read'] }) as unknown as (
      request: unknown,
      reply: unknown,
    ) => Promise<unknown>
    const authorization = `Bearer ${key}`
    const request = () => ({
      headers: { authorization },
      raw: { rawHeaders: ['Authorization', authorization] },
      auth: null as unknown,
    })
    // The first verification reads the store: a promise of its own, settling with nothing.
    const first = request()
    const miss = hook(first, {})
    await expect(miss).resolves.toBeUndefined()
    expect((first.auth as { userId: string }).userId).toBe('u1')
    const a = request()
    const b = request()
    const hitA = hook(a, {})
    const hitB = hook(b, {})
    expect(hitA).toBe(hitB)
    expect(hitA).not.toBe(miss)
    await expect(hitA).resolves.toBeUndefined()
    expect((a.auth as { userId: string }).userId).toBe('u1')
    expect((b.auth as { userId: string }).userId).toBe('u1')
  })

  test('a refusal never reaches the handler, even while an async onSend hook holds the 401', async () => {
    const { auth, key } = await service()
    const app = Fastify()
    app.decorateRequest('auth', null)
    let handled = 0
    let sent = 0
    app.addHook('onSend', async (_request, _reply, payload) => {
      await new Promise((resolve) => setTimeout(resolve, 20))
      sent++
      return payload
    })
    app.get(
      '/models',
      { onRequest: requireApiKey(auth, { scopes: ['models:read'] }) },
      async () => {
        handled++
        return { ok: true }
      },
    )
    await app.ready()
    for (const authorization of [undefined, 'Bearer nope', `Bearer ${key}x`]) {
      const response = await app.inject({
        url: '/models',
        headers: authorization === undefined ? {} : { authorization },
      })
      expect(response.statusCode).toBe(401)
      expect(response.json()).toMatchObject({ error: { code: expect.any(String) } })
    }
    // A valid key: the handler runs, once.
    const narrow = await app.inject({ url: '/models', headers: { authorization: `Bearer ${key}` } })
    expect(narrow.statusCode).toBe(200)
    expect(handled).toBe(1)
    expect(sent).toBe(4)
    await app.close()
  })
})
