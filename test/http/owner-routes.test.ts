/** Organisation keys over the routes: `?owner=org:<id>`, allowed by the `canManage` hook only. */
import { describe, expect, test } from 'vitest'
import {
  type ApiKeyRoutesOptions,
  type AuthRequest,
  type AuthResponse,
  createApiKeyAuth,
  createApiKeyRoutes,
  MemoryKeyStore,
} from '../../src/index.js'
import { createLogSink } from '../support/log-sink.js'
import { registerKey } from '../support/secret-scan.js'

const session: ApiKeyRoutesOptions['session'] = {
  authenticate: async (r) => (r.cookies.sid === undefined ? null : { userId: r.cookies.sid }),
}

function setup(canManage?: ApiKeyRoutesOptions['canManage']) {
  const auth = createApiKeyAuth({
    store: new MemoryKeyStore(),
    ownerTypes: ['user', 'org'],
    logger: createLogSink().logger,
  })
  const asked: unknown[] = []
  const routes = createApiKeyRoutes(auth, {
    session,
    ...(canManage === undefined
      ? {}
      : {
          canManage: (input) => {
            asked.push(input)
            return canManage(input)
          },
        }),
  })
  return { auth, routes, asked }
}

const req = (user: string, over: Partial<AuthRequest>): AuthRequest => ({
  method: 'GET',
  path: '/api/v1/api-keys',
  headers: { cookie: `sid=${user}`, 'content-type': 'application/json' },
  ...over,
})
const code = (res: AuthResponse | null): string | undefined =>
  (res?.body as { error?: { code: string } } | undefined)?.error?.code

describe('owner=org:<id> on the key routes', () => {
  test('an admin the hook allows creates, lists, disables and revokes the organisation’s keys', async () => {
    const { routes, asked } = setup(
      ({ session: s, owner }) => s.userId === 'admin' && owner.id === 'acme',
    )
    const created = await routes(
      req('admin', { method: 'POST', query: 'owner=org:acme', body: { name: 'acme ci' } }),
    )
    expect(created?.status).toBe(201)
    const { id, key } = created?.body as { id: string; key: string }
    registerKey(key)
    expect(key.startsWith('vydra_live_org_acme_')).toBe(true)
    expect(asked).toContainEqual({
      session: { userId: 'admin' },
      owner: { type: 'org', id: 'acme' },
    })
    const listed = await routes(req('admin', { query: 'owner=org:acme' }))
    expect((listed?.body as { keys: { id: string; createdBy: string }[] }).keys).toEqual([
      expect.objectContaining({ id, userId: 'org:acme', ownerType: 'org', createdBy: 'admin' }),
    ])
    const disabled = await routes(
      req('admin', {
        method: 'POST',
        path: `/api/v1/api-keys/${id}/disable`,
        query: 'owner=org:acme',
      }),
    )
    expect(disabled?.status).toBe(200)
    // The admin's own list does not hold the organisation's key.
    expect((await routes(req('admin', {})))?.body).toEqual({ keys: [], nextCursor: null })
    const revoked = await routes(
      req('admin', {
        method: 'DELETE',
        path: `/api/v1/api-keys/${id}`,
        query: 'owner=org:acme&reason=admin',
      }),
    )
    expect(revoked?.status).toBe(200)
  })

  test('refused by the hook, without a hook, with a bad owner or with an API key: the 404 of an unknown key', async () => {
    const denied = setup(() => false)
    const none = setup()
    const unknown = await denied.routes(
      req('eve', {
        method: 'POST',
        path: '/api/v1/api-keys/00000000-0000-4000-8000-000000000000/disable',
      }),
    )
    for (const [routes, query] of [
      [denied.routes, 'owner=org:acme'],
      [none.routes, 'owner=org:acme'],
      [denied.routes, 'owner=acme'],
      [denied.routes, 'owner=org:acme&owner=org:other'],
    ] as const) {
      const res = await routes(req('eve', { query }))
      expect([res?.status, code(res)]).toEqual([404, 'KEY_NOT_FOUND'])
      expect(JSON.stringify(res?.body)).toBe(JSON.stringify(unknown?.body))
      const create = await routes(req('eve', { method: 'POST', query, body: { name: 'x' } }))
      expect([create?.status, code(create)]).toEqual([404, 'KEY_NOT_FOUND'])
    }
    // An API key (even *) never manages another owner's keys, whatever the hook says.
    const allowed = setup(() => true)
    const star = await allowed.auth.createKey({ userId: 'admin', name: 'star', scopes: ['*'] })
    registerKey(star.key)
    const byKey = await allowed.routes({
      method: 'GET',
      path: '/api/v1/api-keys',
      query: 'owner=org:acme',
      headers: { authorization: `Bearer ${star.key}` },
    })
    expect([byKey?.status, code(byKey)]).toEqual([404, 'KEY_NOT_FOUND'])
  })

  test('a hook that throws is 503, never a 500 or an allowance', async () => {
    const { routes } = setup(() => {
      throw new Error('directory down')
    })
    const res = await routes(req('admin', { query: 'owner=org:acme' }))
    expect([res?.status, code(res)]).toEqual([503, 'AUTH_UNAVAILABLE'])
  })
})
