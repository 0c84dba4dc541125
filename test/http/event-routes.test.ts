/**
 * GET <basePath>/:id/events over the framework-neutral routes: what each change through the
 * routes records (actor, request, reason), the answer's JSON schema, paging, and the answers
 * without an audit store and with a failing one.
 */
import { describe, expect, test } from 'vitest'
import {
  type ApiKeyRoutesOptions,
  type AuditStore,
  type AuthRequest,
  type AuthResponse,
  createApiKeyAuth,
  createApiKeyRoutes,
  MemoryAuditStore,
  MemoryKeyStore,
} from '../../src/index.js'
import { auditPageJsonSchema } from '../../src/http/audit-route-schemas.js'
import { createLogSink } from '../support/log-sink.js'
import { registerKey } from '../support/secret-scan.js'

const session: ApiKeyRoutesOptions['session'] = {
  authenticate: async (r) => (r.cookies.sid === undefined ? null : { userId: r.cookies.sid }),
}
const ORIGIN = 'https://app.example'

function setup(auditStore: AuditStore | null = new MemoryAuditStore()) {
  const auth = createApiKeyAuth({
    store: new MemoryKeyStore(),
    logger: createLogSink().logger,
    ...(auditStore === null ? {} : { auditStore }),
  })
  const routes = createApiKeyRoutes(auth, { session, allowedOrigins: [ORIGIN] })
  return { auth, routes }
}

const asUser = (over: Partial<AuthRequest>): AuthRequest => ({
  method: 'GET',
  path: '/api/v1/api-keys',
  headers: { cookie: 'sid=alice', 'content-type': 'application/json', origin: ORIGIN },
  clientAddress: '198.51.100.4',
  ...over,
})
const code = (res: AuthResponse | null): string | undefined =>
  (res?.body as { error?: { code: string } } | undefined)?.error?.code

describe('GET /api/v1/api-keys/:id/events', () => {
  test('lists what the routes changed, newest first, with the actor and the request', async () => {
    const { routes } = setup()
    const created = await routes(
      asUser({ method: 'POST', body: { name: 'ci', scopes: ['a:read', 'b:read'] } }),
    )
    const { id, key } = created?.body as { id: string; key: string }
    registerKey(key)
    const star = await routes(asUser({ method: 'POST', body: { name: 'admin', scopes: ['*'] } }))
    const { id: starId, key: starKey } = star?.body as { id: string; key: string }
    registerKey(starKey)
    const base = `/api/v1/api-keys/${id}`
    expect(
      (await routes(asUser({ method: 'PATCH', path: base, body: { scopes: ['a:read'] } })))?.status,
    ).toBe(200)
    // A `*` key disables it: the actor is that key.
    const byKey = await routes({
      method: 'POST',
      path: `${base}/disable`,
      headers: { authorization: `Bearer ${starKey}` },
    })
    expect(byKey?.status).toBe(200)
    expect(
      (await routes(asUser({ method: 'DELETE', path: base, query: 'reason=compromised' })))?.status,
    ).toBe(200)

    const answer = await routes(asUser({ path: `${base}/events` }))
    expect(answer?.status).toBe(200)
    expect(answer?.headers['cache-control']).toBe('no-store')
    const page = auditPageJsonSchema.parse(answer?.body)
    expect(page.events.map((e) => [e.action, e.actor, e.reason])).toEqual([
      ['revoked', { type: 'user', id: 'alice' }, 'compromised'],
      ['disabled', { type: 'key', id: starId }, null],
      ['updated', { type: 'user', id: 'alice' }, null],
      ['created', { type: 'user', id: 'alice' }, null],
    ])
    expect(page.events[3]?.request).toEqual({
      method: 'POST',
      path: '/api/v1/api-keys',
      clientAddress: '198.51.100.4',
    })
    expect(page.events[2]?.changes).toEqual({ scopes: ['a:read'] })
    expect(JSON.stringify(page)).not.toContain(key)
    expect(JSON.stringify(page)).not.toContain(starKey)

    const first = await routes(asUser({ path: `${base}/events`, query: 'limit=3' }))
    const { nextCursor } = auditPageJsonSchema.parse(first?.body)
    expect(nextCursor).not.toBeNull()
    const second = await routes(
      asUser({ path: `${base}/events`, query: `limit=3&cursor=${nextCursor}` }),
    )
    expect(auditPageJsonSchema.parse(second?.body)).toMatchObject({
      events: [{ action: 'created' }],
      nextCursor: null,
    })
  })

  test('names the bad field, 404s foreign ids alike, 501 without an audit store', async () => {
    const { routes } = setup()
    const created = await routes(asUser({ method: 'POST', body: { name: 'ci' } }))
    const { id, key } = created?.body as { id: string; key: string }
    registerKey(key)
    const bad = await routes(asUser({ path: `/api/v1/api-keys/${id}/events`, query: 'limit=0' }))
    expect(bad?.status).toBe(400)
    expect(
      (bad?.body as { error: { issues: { path: unknown[] }[] } }).error.issues[0]?.path,
    ).toEqual(['limit'])
    const foreign = await routes({
      ...asUser({ path: `/api/v1/api-keys/${id}/events` }),
      headers: { cookie: 'sid=mallory' },
    })
    const unknown = await routes(
      asUser({ path: '/api/v1/api-keys/00000000-0000-4000-8000-000000000000/events' }),
    )
    expect(foreign?.status).toBe(404)
    expect(JSON.stringify(foreign)).toBe(JSON.stringify(unknown))

    const off = setup(null)
    const other = await off.routes(asUser({ method: 'POST', body: { name: 'ci' } }))
    registerKey((other?.body as { key: string }).key)
    const none = await off.routes(
      asUser({ path: `/api/v1/api-keys/${(other?.body as { id: string }).id}/events` }),
    )
    expect([none?.status, code(none)]).toEqual([501, 'NOT_SUPPORTED'])
  })

  test('a failing audit store is 503 on the list, never 500, and the change still answers', async () => {
    const failing: AuditStore = {
      appendAudit: () => Promise.reject(new Error('ECONNREFUSED')),
      listAudit: () => Promise.reject(new Error('ECONNREFUSED')),
    }
    const { routes } = setup(failing)
    const created = await routes(asUser({ method: 'POST', body: { name: 'ci' } }))
    expect(created?.status).toBe(201)
    const { id, key } = created?.body as { id: string; key: string }
    registerKey(key)
    const answer = await routes(asUser({ path: `/api/v1/api-keys/${id}/events` }))
    expect([answer?.status, code(answer)]).toEqual([503, 'AUTH_UNAVAILABLE'])
  })
})
