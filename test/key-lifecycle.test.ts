/** The key lifecycle of 0.2 through the service: roll, disable/enable, update, reasons, owners. */
import { describe, expect, it } from 'vitest'
import {
  createApiKeyAuth,
  MemoryKeyStore,
  type ApiKeyAuth,
  type ApiKeyAuthOptions,
  type AuthError,
  type KeyStore,
  parseApiKey,
} from '../src/index.js'
import { createClock, type FakeClock } from './support/clock.js'
import { createLogSink } from './support/log-sink.js'
import { registerKey } from './support/secret-scan.js'
import { setup } from './support/setup.js'

const HOUR = 3_600_000

interface Fleet {
  store: MemoryKeyStore
  clock: FakeClock
  /** Two instances sharing the store, each with its own cache. */
  a: ApiKeyAuth
  b: ApiKeyAuth
  issue(
    input?: Partial<Parameters<ApiKeyAuth['createKey']>[0]>,
  ): Promise<{ key: string; id: string }>
}

function fleet(options: Partial<ApiKeyAuthOptions> = {}): Fleet {
  const store = new MemoryKeyStore()
  const clock = createClock()
  const make = (): ApiKeyAuth =>
    createApiKeyAuth({ store, now: clock.now, logger: createLogSink().logger, ...options })
  const a = make()
  return {
    store,
    clock,
    a,
    b: make(),
    issue: async (input = {}) => {
      const created = await a.createKey({
        userId: 'u1',
        name: 'deploy',
        scopes: ['models:read', 'jobs:read'],
        ...input,
      })
      registerKey(created.key)
      return { key: created.key, id: created.id }
    },
  }
}

const code = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => 'ok',
    (error: { code?: string }) => error.code,
  )

describe('rollKey', () => {
  it('issues a copy shown once; the old key works until the grace ends, on every instance', async () => {
    const f = fleet()
    const old = await f.issue({ metadata: { team: 'ml' }, expiresInDays: 30 })
    await f.b.verifyKey(old.key) // cached on b
    const rolled = await f.a.rollKey({ userId: 'u1', keyId: old.id, gracePeriodMs: HOUR })
    registerKey(rolled.key)
    expect(rolled.apiKey).toMatchObject({
      name: 'deploy',
      scopes: ['models:read', 'jobs:read'],
      metadata: { team: 'ml' },
      rolledFrom: old.id,
      status: 'active',
    })
    expect(rolled.apiKey.expiresAt?.getTime()).toBe(f.clock.time + 30 * 24 * HOUR)
    expect(rolled.previous).toEqual({ id: old.id, expiresAt: new Date(f.clock.time + HOUR) })
    expect((await f.b.verifyKey(rolled.key)).keyId).toBe(rolled.id)
    expect((await f.b.verifyKey(old.key)).keyId).toBe(old.id)
    f.clock.advance(HOUR)
    expect(await code(f.a.verifyKey(old.key))).toBe('KEY_EXPIRED')
    expect(await code(f.b.verifyKey(old.key))).toBe('KEY_EXPIRED')
    const [listed] = (await f.a.listKeys('u1')).filter((k) => k.id === old.id)
    expect(listed).toMatchObject({ replacedBy: rolled.id, status: 'expired' })
  })

  it('grace 0 revokes the old key at once (reason rotated); a grace over maxRollGraceMs is 400', async () => {
    const f = fleet({ maxRollGraceMs: 2 * HOUR })
    const old = await f.issue()
    await f.b.verifyKey(old.key)
    const error = await f.a
      .rollKey({ userId: 'u1', keyId: old.id, gracePeriodMs: 3 * HOUR })
      .catch((e: { code: string; issues: unknown }) => e)
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', issues: [{ path: ['gracePeriodMs'] }] })
    const rolled = await f.a.rollKey({ userId: 'u1', keyId: old.id, gracePeriodMs: 0 })
    registerKey(rolled.key)
    expect(await code(f.b.verifyKey(old.key))).toBe('KEY_REVOKED')
    const [listed] = (await f.a.listKeys('u1')).filter((k) => k.id === old.id)
    expect(listed?.revokedReason).toBe('rotated')
  })

  it('rolling a revoked, disabled or expired key is 409 KEY_STATE_CONFLICT; unknown is 404', async () => {
    const f = fleet()
    const revoked = await f.issue()
    await f.a.revokeKey({ userId: 'u1', keyId: revoked.id })
    const disabled = await f.issue()
    await f.a.disableKey({ userId: 'u1', keyId: disabled.id })
    const expired = await f.issue({ expiresInDays: 1 })
    f.clock.advance(25 * HOUR)
    for (const { id } of [revoked, disabled, expired]) {
      expect(await code(f.a.rollKey({ userId: 'u1', keyId: id }))).toBe('KEY_STATE_CONFLICT')
    }
    expect(await code(f.a.rollKey({ userId: 'u2', keyId: revoked.id }))).toBe('KEY_NOT_FOUND')
  })

  it('rolling twice within the grace rolls the new key and ends the first one’s grace', async () => {
    const f = fleet()
    const first = await f.issue()
    const second = await f.a.rollKey({ userId: 'u1', keyId: first.id, gracePeriodMs: HOUR })
    registerKey(second.key)
    f.clock.advance(1000)
    const third = await f.a.rollKey({ userId: 'u1', keyId: first.id, gracePeriodMs: HOUR })
    registerKey(third.key)
    expect(third.apiKey.rolledFrom).toBe(second.id)
    expect(await code(f.b.verifyKey(first.key))).toBe('KEY_EXPIRED')
    expect(await code(f.b.verifyKey(second.key))).toBe('ok')
    expect(await code(f.b.verifyKey(third.key))).toBe('ok')
  })

  it('firstUse: the grace starts at the new key’s first verification, agreed by every instance', async () => {
    const f = fleet()
    const old = await f.issue()
    await f.b.verifyKey(old.key)
    const rolled = await f.a.rollKey({
      userId: 'u1',
      keyId: old.id,
      gracePeriodMs: HOUR,
      graceStarts: 'firstUse',
    })
    registerKey(rolled.key)
    expect(rolled.previous.expiresAt).toBeNull()
    f.clock.advance(10 * HOUR)
    expect(await code(f.b.verifyKey(old.key))).toBe('ok')
    await f.b.verifyKey(rolled.key) // first use, on b
    await new Promise((resolve) => setTimeout(resolve, 10))
    f.clock.advance(HOUR - 1)
    expect(await code(f.a.verifyKey(old.key))).toBe('ok')
    f.clock.advance(1)
    expect(await code(f.a.verifyKey(old.key))).toBe('KEY_EXPIRED')
    expect(await code(f.b.verifyKey(old.key))).toBe('KEY_EXPIRED')
  })
})

describe('disableKey and enableKey', () => {
  it('a disabled key is 401 KEY_DISABLED on every instance at once; enabling restores it', async () => {
    const f = fleet()
    const { key, id } = await f.issue()
    await f.a.verifyKey(key)
    await f.b.verifyKey(key)
    const info = await f.a.disableKey({ userId: 'u1', keyId: id })
    expect(info.status).toBe('disabled')
    expect(await code(f.a.verifyKey(key))).toBe('KEY_DISABLED')
    expect(await code(f.b.verifyKey(key))).toBe('KEY_DISABLED')
    const error = (await f.b.verifyKey(key).catch((e: unknown) => e)) as AuthError
    expect(error.toResponse()).toMatchObject({
      status: 401,
      headers: { 'www-authenticate': 'Bearer realm="vydra", error="invalid_token"' },
      body: { error: { code: 'KEY_DISABLED', message: 'API key is disabled' } },
    })
    expect((await f.b.enableKey({ userId: 'u1', keyId: id })).status).toBe('active')
    expect(await code(f.a.verifyKey(key))).toBe('ok')
  })

  it('enabling or disabling a revoked key is 409; another owner’s key is 404', async () => {
    const f = fleet()
    const { id } = await f.issue()
    expect(await code(f.a.disableKey({ userId: 'u2', keyId: id }))).toBe('KEY_NOT_FOUND')
    await f.a.disableKey({ userId: 'u1', keyId: id })
    await f.a.revokeKey({ userId: 'u1', keyId: id })
    expect(await code(f.a.enableKey({ userId: 'u1', keyId: id }))).toBe('KEY_STATE_CONFLICT')
    expect(await code(f.a.disableKey({ userId: 'u1', keyId: id }))).toBe('KEY_STATE_CONFLICT')
  })
})

describe('updateKey', () => {
  it('narrows scopes and expiry fleet-wide; widening is 400 naming the field', async () => {
    const f = fleet()
    const { key, id } = await f.issue({ expiresInDays: 10 })
    await f.b.verifyKey(key, { scopes: ['jobs:read'] })
    const narrowed = await f.a.updateKey({
      userId: 'u1',
      keyId: id,
      scopes: ['models:read'],
      name: 'narrow',
      metadata: { v: 2 },
      expiresAt: new Date(f.clock.time + 5 * 24 * HOUR).toISOString(),
    })
    expect(narrowed).toMatchObject({ scopes: ['models:read'], name: 'narrow', metadata: { v: 2 } })
    expect(await code(f.b.verifyKey(key, { scopes: ['jobs:read'] }))).toBe('INSUFFICIENT_SCOPE')
    expect((await f.b.verifyKey(key)).metadata).toEqual({ v: 2 })
    const widen = await f.a
      .updateKey({ userId: 'u1', keyId: id, scopes: ['models:read', 'jobs:read'] })
      .catch((e: unknown) => e)
    expect(widen).toMatchObject({ code: 'VALIDATION_ERROR', issues: [{ path: ['scopes', 1] }] })
    const extend = await f.a
      .updateKey({ userId: 'u1', keyId: id, expiresAt: new Date(f.clock.time + 9 * 24 * HOUR) })
      .catch((e: unknown) => e)
    expect(extend).toMatchObject({ code: 'VALIDATION_ERROR', issues: [{ path: ['expiresAt'] }] })
    expect(await code(f.a.updateKey({ userId: 'u1', keyId: id }))).toBe('VALIDATION_ERROR')
  })

  it("an expiresAt that is not an ISO 8601 date-time is 400 with our message, not the parser's", async () => {
    const f = fleet()
    const { id } = await f.issue({ expiresInDays: 10 })
    for (const expiresAt of ['garbage', '2030-01-01', '', 12345, null]) {
      const error = await f.a
        .updateKey({ userId: 'u1', keyId: id, expiresAt: expiresAt as string })
        .catch((e: unknown) => e)
      expect(error).toMatchObject({
        code: 'VALIDATION_ERROR',
        issues: [{ path: ['expiresAt'], message: 'must be an ISO 8601 date-time or a Date' }],
      })
    }
  })

  it('a wildcard narrows to what it covers', async () => {
    const f = fleet()
    const { id } = await f.issue({ scopes: ['models:*'] })
    const info = await f.a.updateKey({ userId: 'u1', keyId: id, scopes: ['models:read'] })
    expect(info.scopes).toEqual(['models:read'])
  })
})

describe('metadata', () => {
  it.each([
    ['too large', { blob: 'x'.repeat(8 * 1024) }],
    ['too deep', { a: { b: { c: { d: { e: { f: 1 } } } } } }],
    ['a prototype key', JSON.parse('{"__proto__": {"admin": true}}') as object],
    ['a constructor key', { nested: { constructor: 1 } }],
    ['a function', { f: () => 1 }],
    ['a date', { d: new Date() }],
    ['an array', [1, 2]],
    ['not finite', { n: Number.NaN }],
  ])('refuses %s with 400 naming metadata', async (_, metadata) => {
    const f = fleet()
    const error = await f.a
      .createKey({ userId: 'u1', name: 'm', metadata: metadata as never })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', issues: [{ path: ['metadata'] }] })
  })

  it('accepts 5 levels and is frozen on the principal', async () => {
    const f = fleet()
    const { key } = await f.issue({ metadata: { a: { b: { c: { d: 1 } } }, list: [1, 'x'] } })
    const principal = await f.a.verifyKey(key)
    expect(principal.metadata).toEqual({ a: { b: { c: { d: 1 } } }, list: [1, 'x'] })
    expect(Object.isFrozen(principal.metadata?.a)).toBe(true)
  })
})

describe('revocation reason', () => {
  it('is stored and listed; a bad one is 400', async () => {
    const f = fleet()
    const { id } = await f.issue()
    expect(await code(f.a.revokeKey({ userId: 'u1', keyId: id, reason: 'x'.repeat(201) }))).toBe(
      'VALIDATION_ERROR',
    )
    const info = await f.a.revokeKey({ userId: 'u1', keyId: id, reason: 'leaked' })
    expect(info).toMatchObject({ revokedReason: 'leaked', status: 'revoked' })
  })
})

describe('owners', () => {
  it('org keys: own head, covered by the checksum, kept apart from a user of the same id', async () => {
    const f = fleet({ ownerTypes: ['user', 'org'] })
    const created = await f.a.createKey({
      ownerType: 'org',
      ownerId: 'acme',
      name: 'org key',
      createdBy: 'u1',
    })
    registerKey(created.key)
    expect(created.key.startsWith('vydra_live_org_acme_')).toBe(true)
    expect(created.apiKey).toMatchObject({ userId: 'org:acme', ownerType: 'org', createdBy: 'u1' })
    const principal = await f.b.verifyKey(created.key)
    expect(principal).toMatchObject({ userId: 'org:acme', ownerType: 'org', ownerId: 'acme' })
    const forged = created.key.replace('_org_', '_svc_')
    expect(await code(f.b.verifyKey(forged))).toBe('INVALID_FORMAT')
    expect(await code(f.a.revokeKey({ userId: 'acme', keyId: created.id }))).toBe('KEY_NOT_FOUND')
    const page = await f.a.listKeyPage({ ownerType: 'org', ownerId: 'acme' })
    expect(page.keys.map((k) => k.id)).toEqual([created.id])
    // listKeys takes an owner too; the 0.1 string form stays a user id.
    expect((await f.a.listKeys({ ownerType: 'org', ownerId: 'acme' })).map((k) => k.id)).toEqual([
      created.id,
    ])
    expect(await f.a.listKeys('acme')).toEqual([])
    expect(await f.a.listKeys('org:acme')).toEqual([])
    expect(await f.a.listKeys({ ownerType: 'svc', ownerId: 'acme' })).toEqual([])
    // Without org keys enabled, an org key is not a key of this service.
    const plain = createApiKeyAuth({ store: f.store, now: f.clock.now, logger: false })
    expect(await code(plain.verifyKey(created.key))).toBe('INVALID_FORMAT')
    expect(await code(plain.createKey({ ownerType: 'org', ownerId: 'acme', name: 'x' }))).toBe(
      'VALIDATION_ERROR',
    )
  })
})

describe('org keys where they are not enabled (issue 11)', () => {
  it('parseApiKey parses an org key, yet an instance without ownerTypes or canManage still refuses it as in 0.1', async () => {
    const f = fleet({ ownerTypes: ['user', 'org'] })
    const created = await f.a.createKey({ ownerType: 'org', ownerId: 'acme', name: 'org key' })
    registerKey(created.key)
    expect(parseApiKey(created.key)).toMatchObject({ ownerType: 'org', ownerId: 'acme' })
    // Same store, the record is there; this instance has the defaults (and no routes, so no hook).
    const h = setup({ spy: { memory: f.store } })
    for (const verify of [
      () => h.auth.verifyKey(created.key),
      () => h.auth.authenticate(`Bearer ${created.key}`),
    ]) {
      expect(await code(verify())).toBe('INVALID_FORMAT')
    }
    // Refused by the format check: the store was never asked.
    expect(h.spy.total()).toBe(0)
  })
})

describe('listKeyPage', () => {
  it('pages 120 keys 50 at a time with a cursor, filters by status, refuses a bad cursor', async () => {
    const f = fleet({ maxKeysPerUser: 1000 })
    const ids: string[] = []
    for (let i = 0; i < 120; i++) {
      ids.push((await f.issue()).id)
      if (i % 7 === 0) f.clock.advance(1)
    }
    await f.a.revokeKey({ userId: 'u1', keyId: ids[3] ?? '' })
    const seen: string[] = []
    let cursor: string | undefined
    for (let pages = 0; pages < 10; pages++) {
      const page = await f.a.listKeyPage({
        userId: 'u1',
        ...(cursor === undefined ? {} : { cursor }),
      })
      seen.push(...page.keys.map((k) => k.id))
      if (page.nextCursor === null) break
      cursor = page.nextCursor
    }
    expect(seen).toHaveLength(120)
    expect(new Set(seen)).toEqual(new Set(ids))
    const revoked = await f.a.listKeyPage({ userId: 'u1', status: 'revoked' })
    expect(revoked).toEqual({ keys: [expect.objectContaining({ id: ids[3] })], nextCursor: null })
    for (const bad of [{ cursor: 'nope' }, { limit: 201 }, { status: 'gone' }]) {
      expect(await code(f.a.listKeyPage({ userId: 'u1', ...(bad as object) }))).toBe(
        'VALIDATION_ERROR',
      )
    }
  })
})

describe('stores without the lifecycle methods (0.1 stores)', () => {
  const legacy = (memory = new MemoryKeyStore()): KeyStore => ({
    insert: (r) => memory.insert(r),
    findByHash: (h) => memory.findByHash(h),
    listByUser: (u) => memory.listByUser(u),
    revoke: (k, u, at) => memory.revoke(k, u, at),
    onRevoke: (l) => memory.onRevoke(l),
  })

  it('keep working; lifecycle operations answer NOT_SUPPORTED (501), never a 500', async () => {
    const auth = createApiKeyAuth({ store: legacy(), logger: false })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'old' })
    registerKey(key)
    expect((await auth.verifyKey(key)).keyId).toBe(id)
    for (const op of [
      auth.rollKey({ userId: 'u1', keyId: id }),
      auth.disableKey({ userId: 'u1', keyId: id }),
      auth.updateKey({ userId: 'u1', keyId: id, name: 'n' }),
    ]) {
      const error = await op.catch((e: { code: string; status: number }) => e)
      expect(error).toMatchObject({ code: 'NOT_SUPPORTED', status: 501 })
    }
    expect((await auth.listKeyPage({ userId: 'u1' })).keys.map((k) => k.id)).toEqual([id])
  })

  it('refuse maxRollGraceMs at start-up, and a pushing store that would not push a disable', () => {
    expect(() => createApiKeyAuth({ store: legacy(), maxRollGraceMs: 1000 })).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
    )
    const half: KeyStore = { ...legacy(), setDisabled: async () => null }
    expect(() => createApiKeyAuth({ store: half })).toThrow(
      expect.objectContaining({
        code: 'CONFIGURATION_ERROR',
        message: expect.stringContaining('onInvalidate'),
      }),
    )
  })
})

describe('maxKeysPerUser across instances', () => {
  it('is exact when two instances create at once (the store counts and inserts in one step)', async () => {
    const f = fleet({ maxKeysPerUser: 5 })
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        code((i % 2 === 0 ? f.a : f.b).createKey({ userId: 'u9', name: `k${i}` })),
      ),
    )
    expect(results.filter((r) => r === 'ok')).toHaveLength(5)
    expect(results.filter((r) => r === 'KEY_LIMIT_REACHED')).toHaveLength(7)
  })
})
