/**
 * `@vydra/auth/next`: route handlers called with web `Request`s as Next.js calls them, compared
 * byte for byte with the fetch adapter.
 */
import { SignJWT } from 'jose'
import { describe, expect, test } from 'vitest'
import * as fe from '../../adapters/frameworks/fetch/index.js'
import { apiKeyRoutes, withApiKey } from '../../adapters/frameworks/next/index.js'
import { createApiKeyAuth, type ApiKeyPrincipal } from '../../src/index.js'
import { createLogSink } from '../support/log-sink.js'
import { registerKey, registerSecret } from '../support/secret-scan.js'
import { createStoreSpy } from '../support/store-spy.js'

const SECRET = 'next-session-secret-that-is-long-enough-0123456789'
registerSecret(SECRET)

async function setup() {
  const spy = createStoreSpy()
  const auth = createApiKeyAuth({
    store: spy.store,
    scopes: ['models:read', 'jobs:read'],
    logger: createLogSink().logger,
  })
  const { key } = await auth.createKey({ userId: 'u1', name: 'k', scopes: ['models:read'] })
  registerKey(key)
  return { auth, key, spy }
}

const request = (path: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
  new Request(`https://app.example${path}`, { headers, ...init })

const bytes = async (response: Response) => ({
  status: response.status,
  headers: [...response.headers.entries()],
  body: await response.text(),
})

describe('withApiKey', () => {
  test('runs the handler with the principal and the context untouched', async () => {
    const { auth, key } = await setup()
    const seen: [ApiKeyPrincipal, unknown][] = []
    const context = { params: Promise.resolve({ id: '7' }) }
    const GET = withApiKey(auth, { scopes: ['models:read'] }, async (_request, ctx, principal) => {
      seen.push([principal, ctx])
      return Response.json({ userId: principal.userId })
    })
    const res = await GET(request('/api/v1/models', { authorization: `Bearer ${key}` }), context)
    expect([res.status, await res.json()]).toEqual([200, { userId: 'u1' }])
    expect(seen).toHaveLength(1)
    expect(seen[0]?.[1]).toBe(context)
  })

  test('refusals are the fetch adapter’s responses, byte for byte, and the handler never runs', async () => {
    const { auth, key } = await setup()
    let ran = 0
    const GET = withApiKey(auth, { scopes: ['jobs:read'] }, async () => {
      ran++
      return new Response('ran')
    })
    const fetchGuard = fe.requireApiKey(auth, { scopes: ['jobs:read'] })
    const cases: Record<string, string>[] = [
      {},
      { authorization: '' },
      { authorization: 'Bearer nope' },
      { authorization: `Bearer ${key}` },
      { authorization: `Bearer ${key}, Bearer ${key}` },
    ]
    for (const headers of cases) {
      const ours = await GET(request('/x', headers), {})
      const theirs = (await fetchGuard(request('/x', headers))) as Response
      expect(await bytes(ours)).toEqual(await bytes(theirs))
      expect(ours.status).toBeGreaterThanOrEqual(401)
    }
    expect(ran).toBe(0)
  })

  test('optional: no header runs with null; a bad header is refused', async () => {
    const { auth } = await setup()
    const seen: (ApiKeyPrincipal | null)[] = []
    const GET = withApiKey(auth, { optional: true }, async (_r, _c, principal) => {
      seen.push(principal)
      return new Response('ok')
    })
    expect((await GET(request('/x'), {})).status).toBe(200)
    expect((await GET(request('/x', { authorization: 'Bearer nope' }), {})).status).toBe(401)
    expect(seen).toEqual([null])
  })

  test('options are checked when the module loads', async () => {
    const { auth } = await setup()
    expect(() =>
      withApiKey(auth, { scopes: ['models:nope'] }, async () => new Response('')),
    ).toThrow(expect.objectContaining({ code: 'CONFIGURATION_ERROR' }))
  })
})

describe('apiKeyRoutes', () => {
  test('create with a session, list, revoke; other paths are 404; HEAD has no body', async () => {
    const { auth } = await setup()
    const { GET, HEAD, POST, DELETE } = apiKeyRoutes(auth, { session: { jwt: { secret: SECRET } } })
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET))
    const cookie = { cookie: `__session=${token}` }
    const created = await POST(
      request(
        '/api/v1/api-keys',
        { ...cookie, 'content-type': 'application/json', origin: 'https://app.example' },
        { method: 'POST', body: JSON.stringify({ name: 'CI', scopes: ['models:read'] }) },
      ),
    )
    expect(created.status).toBe(201)
    const { id, key } = (await created.json()) as { id: string; key: string }
    registerKey(key)
    const listed = await GET(request('/api/v1/api-keys', cookie))
    expect(await listed.json()).toMatchObject({ keys: [{ id, name: 'CI' }] })
    const head = await HEAD(request('/api/v1/api-keys', cookie, { method: 'HEAD' }))
    expect([head.status, await head.text()]).toEqual([200, ''])
    const revoked = await DELETE(
      request(
        `/api/v1/api-keys/${id}`,
        { ...cookie, origin: 'https://app.example' },
        {
          method: 'DELETE',
        },
      ),
    )
    expect(revoked.status).toBe(200)
    expect((await GET(request('/api/v1/api-keys/a/b', cookie))).status).toBe(404)
    const big = await POST(
      request(
        '/api/v1/api-keys',
        { ...cookie, 'content-type': 'application/json', origin: 'https://app.example' },
        { method: 'POST', body: JSON.stringify({ name: 'x'.repeat(20_000) }) },
      ),
    )
    expect(big.status).toBe(413)
  })
})
