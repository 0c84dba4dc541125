/**
 * The lifecycle routes (issue 11) without a server: unknown ids and other owners' keys get the
 * bytes of DELETE's 404, a store failure is 503 and changes nothing, hostile bodies and queries
 * are 4xx and change nothing; never a 500.
 */
import { describe, expect, test } from 'vitest'
import {
  type ApiKeyInfo,
  type AuthRequest,
  type AuthResponse,
  createApiKeyAuth,
  createApiKeyRoutes,
  MemoryKeyStore,
} from '../../src/index.js'
import { createLogSink } from '../support/log-sink.js'
import { registerKey } from '../support/secret-scan.js'

const KEYS = '/api/v1/api-keys'
const NOBODY = '00000000-0000-4000-8000-000000000000'

type Failing = 'roll' | 'setDisabled' | 'update' | 'listPage'

// A memory store whose lifecycle methods fail while named in `down` (read per call: the service
// binds the store's methods once, when it is built).
class FlakyStore extends MemoryKeyStore {
  readonly down = new Set<Failing>()
  #check(method: Failing): void {
    if (this.down.has(method)) throw new Error('db down')
  }
  override async roll(...args: Parameters<MemoryKeyStore['roll']>) {
    this.#check('roll')
    return super.roll(...args)
  }
  override async setDisabled(...args: Parameters<MemoryKeyStore['setDisabled']>) {
    this.#check('setDisabled')
    return super.setDisabled(...args)
  }
  override async update(...args: Parameters<MemoryKeyStore['update']>) {
    this.#check('update')
    return super.update(...args)
  }
  override async listPage(...args: Parameters<MemoryKeyStore['listPage']>) {
    this.#check('listPage')
    return super.listPage(...args)
  }
}

async function setup() {
  const store = new FlakyStore()
  const auth = createApiKeyAuth({ store, logger: createLogSink().logger })
  const routes = createApiKeyRoutes(auth, {
    session: {
      authenticate: async (r) => (r.cookies.sid === undefined ? null : { userId: r.cookies.sid }),
    },
  })
  const mine = await auth.createKey({
    userId: 'alice',
    name: 'ci',
    scopes: ['models:read', 'jobs:read'],
    metadata: { team: 'ml' },
  })
  const theirs = await auth.createKey({ userId: 'mallory', name: 'other' })
  registerKey(mine.key)
  registerKey(theirs.key)
  // What alice's keys look like, minus what a read may move (lastUsedAt).
  const snapshot = async (): Promise<unknown[]> =>
    (await auth.listKeys('alice')).map((k: ApiKeyInfo) => ({ ...k, lastUsedAt: null }))
  return { store, auth, routes, mine, theirs, snapshot }
}

const req = (over: Partial<AuthRequest>): AuthRequest => ({
  method: 'POST',
  path: KEYS,
  headers: { cookie: 'sid=alice', 'content-type': 'application/json' },
  ...over,
})
const raw = (text: string): Pick<AuthRequest, 'readBody'> => ({
  readBody: async () => new TextEncoder().encode(text),
})
const code = (res: AuthResponse | null): string | undefined =>
  (res?.body as { error?: { code: string } } | undefined)?.error?.code
const bytes = (res: AuthResponse | null) => ({
  status: res?.status,
  headers: res?.headers,
  body: JSON.stringify(res?.body),
})

// Every lifecycle operation on key `id`, as a request.
const operations = (id: string): [string, AuthRequest][] => [
  ['roll', req({ path: `${KEYS}/${id}/roll`, ...raw('{}') })],
  ['disable', req({ path: `${KEYS}/${id}/disable` })],
  ['enable', req({ path: `${KEYS}/${id}/enable` })],
  ['PATCH', req({ method: 'PATCH', path: `${KEYS}/${id}`, ...raw('{"name":"renamed"}') })],
]

describe('lifecycle routes: unknown and foreign ids', () => {
  test('answer the bytes of DELETE’s 404 for the same id', async () => {
    const { routes, theirs, snapshot } = await setup()
    const before = await snapshot()
    for (const id of [NOBODY, theirs.id, 'not-a-uuid']) {
      const reference = bytes(await routes(req({ method: 'DELETE', path: `${KEYS}/${id}` })))
      expect(reference.status).toBe(404)
      for (const [name, request] of operations(id)) {
        expect(bytes(await routes(request)), `${name} ${id}`).toEqual(reference)
      }
    }
    expect(await snapshot()).toEqual(before)
  })
})

describe('lifecycle routes: a store failure', () => {
  test('is 503 AUTH_UNAVAILABLE with Retry-After for every operation, and changes nothing', async () => {
    const { store, routes, mine, snapshot } = await setup()
    const before = await snapshot()
    const [roll, disable, enable, patch] = operations(mine.id).map(([, request]) => request)
    const cases: [Failing, AuthRequest | undefined][] = [
      ['roll', roll],
      ['setDisabled', disable],
      ['setDisabled', enable],
      ['update', patch],
      ['listPage', req({ method: 'GET', query: 'limit=10&status=active' })],
    ]
    for (const [method, request] of cases) {
      store.down.add(method)
      try {
        const res = await routes(request as AuthRequest)
        expect([res?.status, code(res), res?.headers['retry-after']], method).toEqual([
          503,
          'AUTH_UNAVAILABLE',
          '5',
        ])
      } finally {
        store.down.delete(method)
      }
    }
    expect(await snapshot()).toEqual(before)
  })
})

describe('lifecycle routes: hostile input', () => {
  const bodies = [
    '[]',
    '"roll"',
    'null',
    '42',
    '{"gracePeriodMs":"1h"}',
    '{"gracePeriodMs":-1}',
    '{"gracePeriodMs":1e308}',
    '{"gracePeriodMs":1.5}',
    '{"graceStarts":"later"}',
    '{"__proto__":{"gracePeriodMs":0}}',
    '{"constructor":{"prototype":{"admin":true}}}',
    '{"scopes":"models:read"}',
    '{"scopes":["models:read","*"]}',
    '{"scopes":[null]}',
    '{"expiresAt":"not a date"}',
    '{"expiresAt":-8640000000000001}',
    '{"name":""}',
    '{"name":42}',
    `{"name":"${'x'.repeat(5000)}"}`,
    '{"metadata":[]}',
    '{"metadata":{"__proto__":{"x":1}}}',
    `{"metadata":{"blob":"${'x'.repeat(9000)}"}}`,
    '{"revokedAt":null}',
    '{"disabledAt":null}',
    '{',
    '\u0000',
  ]
  const queries = [
    'limit=-1',
    'limit=1e3',
    'limit=0x10',
    'limit=',
    'status=ALL',
    'status=active&status=all',
    'limit=1&limit=2',
    'cursor=%00',
    `cursor=${'A'.repeat(5000)}`,
    'cursor=eyJ0IjoxfQ',
    'owner=user:alice',
  ]

  test('roll and PATCH bodies are 4xx, never a 5xx, and change nothing', async () => {
    const { routes, mine, snapshot } = await setup()
    const before = await snapshot()
    for (const text of bodies) {
      for (const path of [`${KEYS}/${mine.id}/roll`, `${KEYS}/${mine.id}`]) {
        const method = path.endsWith('/roll') ? 'POST' : 'PATCH'
        const res = await routes(req({ method, path, ...raw(text) }))
        expect(res?.status, `${method} ${text.slice(0, 60)}`).toBeGreaterThanOrEqual(400)
        expect(res?.status, `${method} ${text.slice(0, 60)}`).toBeLessThan(500)
      }
    }
    expect(await snapshot()).toEqual(before)
  })

  test('metadata with a prototype key is 400 naming metadata on PATCH, as on create; never stored as {}', async () => {
    const { routes, mine, snapshot } = await setup()
    const before = await snapshot()
    const text = '{"metadata":{"__proto__":{"admin":true}}}'
    const patch = await routes(req({ method: 'PATCH', path: `${KEYS}/${mine.id}`, ...raw(text) }))
    const create = await routes(
      req({ ...raw('{"name":"x","metadata":{"__proto__":{"admin":true}}}') }),
    )
    for (const res of [patch, create]) {
      expect([res?.status, code(res)]).toEqual([400, 'VALIDATION_ERROR'])
      expect(res?.body).toMatchObject({ error: { issues: [{ path: ['metadata'] }] } })
    }
    expect(await snapshot()).toEqual(before)
  })

  test('list queries are 200, 400 or (an owner without the hook) 404, never a 5xx', async () => {
    const { routes } = await setup()
    for (const query of queries) {
      const res = await routes(req({ method: 'GET', query }))
      expect([200, 400, 404], query).toContain(res?.status)
      if (res?.status === 400) expect(code(res), query).toBe('VALIDATION_ERROR')
    }
  })
})
