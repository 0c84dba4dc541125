/** The auth service: createKey, listKeys, revokeKey, verifyKey, authenticate. */
import { describe, expect, it, vi } from 'vitest'
import {
  AuthError,
  createApiKeyAuth,
  CREATE_KEY_MESSAGE,
  formatKeyPrefix,
  generateApiKey,
  hashApiKey,
  parseApiKey,
} from '../src/index.js'
import { createServiceClock } from '../src/service/clock.js'
import { expectNoLeak } from './support/leak.js'
import { codeOf, errorOf, recordFor, setup } from './support/setup.js'
import { createStoreSpy } from './support/store-spy.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe('createKey', () => {
  it('issues a well-formed key, shown once, with a UUID id, default scopes ["*"] and no expiry', async () => {
    const { auth, clock } = setup()
    const created = await auth.createKey({ userId: 'user_2abc', name: 'CI' })
    expect(created.id).toMatch(UUID)
    expect(parseApiKey(created.key).userId).toBe('user_2abc')
    expect(created.keyPrefix).toBe(formatKeyPrefix(created.key))
    expect(created.keyPrefix.endsWith('...')).toBe(true)
    expect(created.message).toBe(CREATE_KEY_MESSAGE)
    expect(created.apiKey).toEqual({
      id: created.id,
      userId: 'user_2abc',
      name: 'CI',
      keyPrefix: created.keyPrefix,
      scopes: ['*'],
      createdAt: new Date(clock.time),
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
      // 0.2 lifecycle fields, at their defaults.
      status: 'active',
      ownerType: 'user',
      createdBy: null,
      metadata: {},
      disabledAt: null,
      revokedReason: null,
      replacedBy: null,
      rolledFrom: null,
      graceEndsAt: null,
      firstUseGraceMs: null,
    })
    await expect(auth.authenticate(`Bearer ${created.key}`)).resolves.toEqual({
      keyId: created.id,
      userId: 'user_2abc',
      scopes: ['*'],
      name: 'CI',
      expiresAt: null,
      ownerType: 'user',
      ownerId: 'user_2abc',
      metadata: {},
    })
  })

  it('VALIDATION_ERROR for bad names, user ids and inputs, naming the field; nothing stored', async () => {
    const { auth, spy } = setup()
    const cases: [unknown, string][] = [
      [{ userId: 'u123', name: '' }, 'name'],
      [{ userId: 'u123', name: 'x'.repeat(10_000) }, 'name'],
      [{ userId: 'u123', name: 'x'.repeat(101) }, 'name'],
      [{ userId: 'u123', name: '\r\n' }, 'name'],
      [{ userId: 'u123', name: 'a\r\nSet-Cookie: x=1' }, 'name'],
      [{ userId: 'u123', name: '\u0000' }, 'name'],
      [{ userId: 'u123', name: '   ' }, 'name'],
      [{ userId: 'u123', name: 42 }, 'name'],
      [{ userId: 'u123' }, 'name'],
      [{ userId: '', name: 'n' }, 'userId'],
      [{ userId: 'a b', name: 'n' }, 'userId'],
      [{ userId: 'x'.repeat(65), name: 'n' }, 'userId'],
      [{ userId: 'ü', name: 'n' }, 'userId'],
      [{ name: 'n' }, 'userId'],
    ]
    for (const [input, field] of cases) {
      const error = await errorOf(() => auth.createKey(input as never))
      expect(error, JSON.stringify(input).slice(0, 60)).toMatchObject({
        code: 'VALIDATION_ERROR',
        status: 400,
      })
      const issues = (error as { issues: { path: unknown[] }[] }).issues
      expect(issues.map((i) => i.path[0])).toContain(field)
    }
    for (const input of [null, undefined, 'u123', 42, []]) {
      expect(await codeOf(() => auth.createKey(input as never))).toBe('VALIDATION_ERROR')
    }
    expect(spy.calls.insert).toBe(0)
    // Within the rules a name is stored verbatim.
    const ok = await auth.createKey({ userId: 'u123', name: '<script>alert(1)</script> ✓' })
    expect(ok.apiKey.name).toBe('<script>alert(1)</script> ✓')
  })

  it('KEY_LIMIT_REACHED 409 at the cap; revoked and expired keys do not count', async () => {
    const { auth, clock, issue } = setup({ maxKeysPerUser: 3 })
    const first = await issue()
    await issue({ expiresInDays: 1 })
    await issue()
    const error = await errorOf(() => issue())
    expect(error).toMatchObject({ code: 'KEY_LIMIT_REACHED', status: 409 })
    // Another user is not affected.
    await expect(issue({ userId: 'other' })).resolves.toBeDefined()
    await auth.revokeKey({ userId: 'u123', keyId: first.id })
    await expect(issue()).resolves.toBeDefined()
    expect(await codeOf(() => issue())).toBe('KEY_LIMIT_REACHED')
    clock.advance(86_400_000)
    await expect(issue()).resolves.toBeDefined()
  })

  it('20 parallel creations at cap - 1 create exactly one key on one instance', async () => {
    const { auth, spy, issue } = setup({ maxKeysPerUser: 5 })
    for (let i = 0; i < 4; i++) await issue()
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => issue()))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const codes = results.flatMap((r) =>
      r.status === 'rejected' ? [(r.reason as { code: string }).code] : [],
    )
    expect(codes).toEqual(Array.from({ length: 19 }, () => 'KEY_LIMIT_REACHED'))
    expect(await spy.memory.listByUser('u123')).toHaveLength(5)
    expect((await auth.listKeys('u123')).length).toBe(5)
  })
  it('ignores fields a caller should not set (mass assignment): id, hash, dates, lastUsedAt', async () => {
    const { auth, spy, clock } = setup()
    const created = await auth.createKey({
      userId: 'u123',
      name: 'n',
      id: 'attacker-chosen',
      hash: 'f'.repeat(64),
      createdAt: new Date(0),
      revokedAt: new Date(0),
      lastUsedAt: new Date(0),
      keyPrefix: 'vydra_live_user_admin_XXXX...',
    } as never)
    expect(created.id).toMatch(UUID)
    const [stored] = await spy.memory.listByUser('u123')
    expect(stored).toMatchObject({
      id: created.id,
      hash: hashApiKey(created.key),
      createdAt: new Date(clock.time),
      revokedAt: null,
      lastUsedAt: null,
      keyPrefix: formatKeyPrefix(created.key),
    })
  })
})

describe('listKeys and revokeKey', () => {
  it("lists only the owner's keys, oldest first, without secrets or hashes", async () => {
    const { auth, clock, issue } = setup()
    const a1 = await issue({ userId: 'alice' })
    clock.advance(10)
    const a2 = await issue({ userId: 'alice' })
    await issue({ userId: 'bob' })
    const list = await auth.listKeys('alice')
    expect(list.map((k) => k.id)).toEqual([a1.id, a2.id])
    for (const info of list) expect(Object.keys(info)).not.toContain('hash')
    expectNoLeak(list, [a1.key, a2.key])
    expect(JSON.stringify(list)).not.toContain(hashApiKey(a1.key))
    expect(await auth.listKeys('nobody')).toEqual([])
  })

  it("revokes the owner's key; again returns the original revokedAt; another user gets KEY_NOT_FOUND", async () => {
    const { auth, clock, issue } = setup()
    const mine = await issue({ userId: 'alice' })
    const theirs = await issue({ userId: 'bob' })
    const first = await auth.revokeKey({ userId: 'alice', keyId: mine.id })
    expect(first.revokedAt).toEqual(new Date(clock.time))
    clock.advance(5_000)
    const second = await auth.revokeKey({ userId: 'alice', keyId: mine.id })
    expect(second.revokedAt).toEqual(first.revokedAt)
    const foreign = await errorOf(() => auth.revokeKey({ userId: 'alice', keyId: theirs.id }))
    const unknown = await errorOf(() =>
      auth.revokeKey({ userId: 'alice', keyId: '00000000-0000-4000-8000-000000000000' }),
    )
    expect(foreign).toMatchObject({ code: 'KEY_NOT_FOUND', status: 401 })
    expect((foreign as Error).message).toBe((unknown as Error).message)
    await expect(auth.verifyKey(theirs.key)).resolves.toMatchObject({ userId: 'bob' })
    for (const keyId of ['', 'not-a-uuid', 42, null]) {
      expect(await codeOf(() => auth.revokeKey({ userId: 'alice', keyId: keyId as string }))).toBe(
        'KEY_NOT_FOUND',
      )
    }
  })

  it('never passes extra fields a store returns (secret columns) on to callers', async () => {
    const { auth, spy, issue } = setup()
    const { key } = await issue()
    const [record] = await spy.memory.listByUser('u123')
    spy.answer.listByUser = () => [{ ...record, key, secret: key.slice(-38), extra: 1 }]
    const list = await auth.listKeys('u123')
    expect(Object.keys(list[0]!).sort()).toEqual([
      'createdAt',
      'createdBy',
      'disabledAt',
      'expiresAt',
      'firstUseGraceMs',
      'graceEndsAt',
      'id',
      'keyPrefix',
      'lastUsedAt',
      'metadata',
      'name',
      'ownerType',
      'replacedBy',
      'revokedAt',
      'revokedReason',
      'rolledFrom',
      'scopes',
      'status',
      'userId',
    ])
    expectNoLeak(list, key)
  })

  it('a revoked key fails on the very next call with the cache on', async () => {
    const { auth, issue } = setup()
    const { key, id } = await issue()
    await auth.authenticate(`Bearer ${key}`)
    await auth.authenticate(`Bearer ${key}`)
    await auth.revokeKey({ userId: 'u123', keyId: id })
    expect(await codeOf(() => auth.authenticate(`Bearer ${key}`))).toBe('KEY_REVOKED')
  })
})

describe('owner mismatch', () => {
  it('a record naming another owner than the key is KEY_NOT_FOUND, logged as exactly { keyId }', async () => {
    const { auth, spy, logs } = setup({
      cache: false,
      pepper: 'owner-test-pepper-Kq7Zr2Lm9Xw4Tn8B',
    })
    const key = generateApiKey('org_team_42')
    const record = recordFor(key, {
      userId: 'org_team_43',
      hash: hashApiKey(key, 'owner-test-pepper-Kq7Zr2Lm9Xw4Tn8B'),
    })
    spy.findResult = () => record
    expect(await codeOf(() => auth.authenticate(`Bearer ${key}`))).toBe('KEY_NOT_FOUND')
    expect(logs.lines).toEqual([
      {
        level: 'error',
        message: 'stored owner differs from the key',
        context: { keyId: record.id },
      },
    ])
    // No cache: the second request asks again, and is refused again.
    expect(await codeOf(() => auth.verifyKey(key))).toBe('KEY_NOT_FOUND')
    expect(spy.calls.findByHash).toBe(2)
  })
})

describe('secrets', () => {
  it('nothing the store holds, no log line and no error message contains a created key or any 8-char piece of its secret', async () => {
    const { auth, spy, logs, clock, issue } = setup({ storeTimeoutMs: 10 })
    const keys: string[] = []
    for (const userId of ['u123', 'org_team_42']) {
      const { key, id } = await issue({ userId, scopes: ['models:read'] })
      keys.push(key)
      await auth.verifyKey(key)
      await auth.verifyKey(key, { scopes: ['models:write'] }).catch(() => undefined)
      clock.advance(61_000)
      await auth.verifyKey(key)
      await auth.revokeKey({ userId, keyId: id })
    }
    const errors: unknown[] = []
    for (const key of keys) {
      for (const candidate of [key, `${key}x`, key.slice(0, -1), key.toUpperCase()]) {
        errors.push(await errorOf(() => auth.authenticate(`Bearer ${candidate}`)))
      }
    }
    spy.behave.findByHash = { kind: 'reject', error: new Error('db down') }
    errors.push(await errorOf(() => auth.verifyKey(keys[0]!.replace('u123', 'u124'))))
    spy.behave.touch = { kind: 'reject' }
    const stored = [
      ...(await spy.memory.listByUser('u123')),
      ...(await spy.memory.listByUser('org_team_42')),
    ]
    expect(stored).toHaveLength(2)
    expectNoLeak(stored, keys)
    expectNoLeak(logs.text(), keys)
    expectNoLeak(
      errors.map((e) => [(e as Error).message, (e as Error).stack, auth.errorResponse(e)]),
      keys,
    )
    expectNoLeak(auth.options, keys)
  })
})

describe('what the service logs, and the reasons it gives', () => {
  const line = (level: 'warn' | 'error', message: string, context: Record<string, unknown>) => ({
    level,
    message,
    context,
  })

  it('a broken clock: thrown or invalid time, logged and 503 invalid_clock', async () => {
    for (const [now, expected] of [
      [
        () => {
          throw new Error('clock broke')
        },
        line('error', 'the clock threw', { error: 'Error: clock broke' }),
      ],
      [() => Number.NaN, line('error', 'the clock returned an invalid time', { type: 'number' })],
      [() => 'soon', line('error', 'the clock returned an invalid time', { type: 'string' })],
      [() => 8.64e15 + 1, line('error', 'the clock returned an invalid time', { type: 'number' })],
    ] as const) {
      const { auth, logs } = setup({ now: now as () => number })
      const error = await errorOf(() => auth.verifyKey(generateApiKey('u123')))
      expect(error).toMatchObject({ code: 'AUTH_UNAVAILABLE', reason: 'invalid_clock' })
      expect(logs.lines).toEqual([expected])
    }
  })

  it("the default clock is the engine's Date.now itself; a replaced Date.now is guarded", async () => {
    // The default needs no guard (it cannot throw or return an invalid time), and a hit reads
    // the clock every time: the service uses it as is (src/service/clock.ts).
    const logger = { warn: () => {}, error: () => {} }
    expect(createServiceClock(Date.now, logger)).toBe(Date.now)
    expect(createServiceClock(() => Date.now(), logger)).not.toBe(Date.now)
    // A Date.now replaced before the service is made (a test's spy) is not the engine's: guarded.
    const spy = vi.spyOn(Date, 'now').mockReturnValue(Number.NaN)
    try {
      // `now: undefined`: the service's default (Date.now as it is now), not the harness's clock.
      const { auth, logs } = setup({ now: undefined })
      const error = await errorOf(() => auth.verifyKey(generateApiKey('u123')))
      expect(error).toMatchObject({ code: 'AUTH_UNAVAILABLE', reason: 'invalid_clock' })
      expect(logs.lines).toEqual([
        line('error', 'the clock returned an invalid time', { type: 'number' }),
      ])
    } finally {
      spy.mockRestore()
    }
  })

  it('the last instant a Date can hold is a valid time', async () => {
    const { auth } = setup({ now: () => 8.64e15 })
    const created = await auth.createKey({ userId: 'u123', name: 'end of time' })
    expect(created.apiKey.createdAt.getTime()).toBe(8.64e15)
  })

  it('store failures name the operation; a timeout is logged once, as a timeout', async () => {
    const { auth, spy, logs, issue } = setup({ storeTimeoutMs: 25 })
    const { id, key } = await issue()
    spy.behave.findByHash = { kind: 'reject', error: new Error('boom') }
    expect(await errorOf(() => auth.verifyKey(generateApiKey('u123')))).toMatchObject({
      reason: 'store_error',
    })
    spy.behave.findByHash = { kind: 'defer' }
    expect(await errorOf(() => auth.verifyKey(key))).toMatchObject({
      code: 'AUTH_UNAVAILABLE',
      reason: 'store_timeout',
    })
    spy.behave.listByUser = { kind: 'reject', error: new Error('list') }
    await errorOf(() => auth.listKeys('u123'))
    spy.behave.listByUser = { kind: 'real' }
    spy.behave.insert = { kind: 'reject', error: new Error('ins') }
    await errorOf(() => auth.createKey({ userId: 'u123', name: 'n' }))
    spy.behave.revoke = { kind: 'reject', error: new Error('rev') }
    await errorOf(() => auth.revokeKey({ userId: 'u123', keyId: id }))
    expect(logs.lines).toEqual([
      line('error', 'store findByHash failed', { error: 'Error: boom' }),
      line('error', 'store findByHash timed out', { timeoutMs: 25 }),
      line('error', 'store listByUser failed', { error: 'Error: list' }),
      line('error', 'store insert failed', { error: 'Error: ins' }),
      line('error', 'store revoke failed', { error: 'Error: rev' }),
    ])
    await spy.release('findByHash')
  })

  it('a store rejecting with an AuthError is still 503 (fail closed), never that 401', async () => {
    for (const code of ['KEY_NOT_FOUND', 'KEY_REVOKED', 'INSUFFICIENT_SCOPE'] as const) {
      const { auth, spy } = setup()
      spy.behave.findByHash = { kind: 'reject', error: new AuthError(code) }
      expect(await errorOf(() => auth.verifyKey(generateApiKey('u123')))).toMatchObject({
        code: 'AUTH_UNAVAILABLE',
        reason: 'store_error',
      })
    }
  })

  it('corrupt answers: which field, which key, and the corrupt_record reason', async () => {
    const { auth, spy, logs, issue } = setup()
    const key = generateApiKey('u123')
    const bad = recordFor(key, { scopes: 'models:read' })
    spy.findResult = () => bad
    expect(await errorOf(() => auth.verifyKey(key))).toMatchObject({ reason: 'corrupt_record' })
    const other = generateApiKey('u123')
    const mismatched = recordFor(other, { hash: 'f'.repeat(64) })
    spy.findResult = () => mismatched
    expect(await errorOf(() => auth.verifyKey(other))).toMatchObject({ reason: 'corrupt_record' })
    spy.findResult = () => ({ ...recordFor(other, { hash: 'f'.repeat(64) }), id: 42 })
    await errorOf(() => auth.verifyKey(other))
    spy.findResult = undefined
    spy.answer.listByUser = () => [42]
    expect(await errorOf(() => auth.listKeys('u123'))).toMatchObject({ reason: 'corrupt_record' })
    delete spy.answer.listByUser
    const { id } = await issue()
    spy.answer.revoke = () => ({ ...recordFor(key), id, revokedAt: null })
    expect(await errorOf(() => auth.revokeKey({ userId: 'u123', keyId: id }))).toMatchObject({
      reason: 'corrupt_record',
    })
    expect(logs.lines).toEqual([
      line('error', 'store returned a corrupt record', { field: 'scopes', keyId: bad.id }),
      line('error', 'store returned a corrupt record', { field: 'hash', keyId: mismatched.id }),
      line('error', 'store returned a corrupt record', { field: 'id', keyId: undefined }),
      line('error', 'store returned a corrupt record list', { userId: 'u123' }),
      line('error', 'store returned a corrupt record from revoke', { keyId: id }),
    ])
  })

  it('a failing lastUsedAt write is a warning naming the key id and the error', async () => {
    const { auth, spy, logs, issue } = setup()
    const { key, id } = await issue()
    spy.behave.touch = { kind: 'reject', error: new Error('disk full') }
    await auth.verifyKey(key)
    await vi.waitFor(() => expect(logs.lines).toHaveLength(1))
    expect(logs.lines).toEqual([
      line('warn', 'lastUsedAt update failed', { keyId: id, error: 'Error: disk full' }),
    ])
  })

  it('a lastUsedAt write gets five store timeouts before it is abandoned, with a timeout error', async () => {
    vi.useFakeTimers()
    try {
      const { auth, spy, logs, issue } = setup({ storeTimeoutMs: 1_000 })
      const { key, id } = await issue()
      spy.behave.touch = { kind: 'defer' }
      await auth.verifyKey(key)
      await vi.advanceTimersByTimeAsync(4_999)
      expect(logs.lines).toEqual([])
      await vi.advanceTimersByTimeAsync(1)
      expect(logs.lines).toEqual([
        line('warn', 'lastUsedAt update failed', { keyId: id, error: 'Error: touch timed out' }),
      ])
      await spy.release('touch')
    } finally {
      vi.useRealTimers()
    }
  })

  it('errorResponse logs what is not an AuthError before answering 503', () => {
    const { auth, logs } = setup()
    expect(auth.errorResponse(new TypeError('oops')).status).toBe(503)
    expect(logs.lines).toEqual([
      line('error', 'unexpected error during authentication', { error: 'TypeError: oops' }),
    ])
  })

  it('a store whose onRevoke throws is a configuration error, saying so', () => {
    const spy = createStoreSpy()
    const store = {
      ...spy.store,
      onRevoke: () => {
        throw new Error('no pubsub')
      },
    }
    expect(() => createApiKeyAuth({ store, logger: false })).toThrow(
      expect.objectContaining({
        code: 'CONFIGURATION_ERROR',
        message: 'The store failed to subscribe to revocations (onRevoke)',
      }),
    )
  })
})

describe('service details', () => {
  it('a clock giving Dates (as `now: () => new Date()` does) drives expiry and the cache TTL', async () => {
    const clock = { time: Date.UTC(2026, 0, 1) }
    const { auth, spy, issue } = setup({
      now: () => new Date(clock.time),
      cache: { ttlMs: 1_000 },
    })
    const { key } = await issue({ expiresInDays: 1 })
    await auth.verifyKey(key)
    clock.time += 999
    await auth.verifyKey(key)
    expect(spy.calls.findByHash).toBe(1)
    clock.time += 1
    await auth.verifyKey(key)
    expect(spy.calls.findByHash).toBe(2)
    clock.time = Date.UTC(2026, 0, 2)
    expect(await codeOf(() => auth.verifyKey(key))).toBe('KEY_EXPIRED')
  })

  it('without a cache, revoking, hearing a revocation and sweeping work', async () => {
    const { auth, spy, issue } = setup({ cache: false })
    const { key, id } = await issue()
    await auth.verifyKey(key)
    await expect(auth.revokeKey({ userId: 'u123', keyId: id })).resolves.toMatchObject({ id })
    // Another instance's revocation, announced by the store.
    const other = await issue()
    await spy.memory.revoke(other.id, 'u123', new Date())
    expect(() => auth.sweepCache()).not.toThrow()
    expect(await codeOf(() => auth.verifyKey(other.key))).toBe('KEY_REVOKED')
    expect(auth.cacheStats()).toEqual({ positive: 0, negative: 0, inflight: 0, touched: 1 })
  })

  it('a store without touch gets no lastUsedAt bookkeeping and no warnings', async () => {
    const { auth, logs, issue } = setup({ spy: { touch: false } })
    const { key } = await issue()
    for (let i = 0; i < 3; i++) await auth.verifyKey(key)
    expect(auth.cacheStats().touched).toBe(0)
    expect(logs.lines).toEqual([])
  })

  it('required scopes that are not an array are a configuration error', async () => {
    const { auth, issue } = setup()
    const { key } = await issue()
    for (const scopes of ['models:read', { length: 1, 0: 'x' }, 42]) {
      expect(
        await errorOf(() => auth.verifyKey(key, { scopes: scopes as unknown as string[] })),
      ).toMatchObject({
        code: 'CONFIGURATION_ERROR',
        message: 'Required scopes must be an array',
      })
    }
    expect(() => auth.requireScopes('x' as unknown as string[])).toThrow(
      expect.objectContaining({
        code: 'CONFIGURATION_ERROR',
        message: 'Required scopes must be an array',
      }),
    )
  })

  it('requireScopes: "*" is always requirable; an unknown scope is named in the error', () => {
    const { auth } = setup({ scopes: ['models:read', 'jobs:*'] })
    expect(auth.requireScopes(['*'])).toEqual(['*'])
    expect(auth.requireScopes(['jobs:run'])).toEqual(['jobs:run'])
    expect(() => auth.requireScopes(['models:write'])).toThrow(
      expect.objectContaining({
        code: 'CONFIGURATION_ERROR',
        message: 'Unknown or malformed required scope: "models:write"',
      }),
    )
  })

  it('createKey with a registry: "*" is always allowed, every other scope must be registered', async () => {
    const { auth } = setup({ scopes: ['models:read', 'jobs:*'] })
    await expect(
      auth.createKey({ userId: 'u123', name: 'all', scopes: ['*'] }),
    ).resolves.toBeDefined()
    const error = await errorOf(() =>
      auth.createKey({ userId: 'u123', name: 'n', scopes: ['models:read', 'admin'] }),
    )
    expect((error as { issues: unknown }).issues).toEqual([
      { path: ['scopes'], message: 'not in the scope registry: "admin"' },
    ])
  })

  it('validation issues say what is wrong, field by field', async () => {
    const { auth } = setup()
    const issues = async (input: unknown): Promise<unknown> =>
      ((await errorOf(() => auth.createKey(input as never))) as { issues: unknown }).issues
    expect(await issues({ userId: 'a b', name: 'n' })).toEqual([
      { path: ['userId'], message: 'must match [A-Za-z0-9_-]{1,64}' },
    ])
    expect(await issues({ userId: 'u123', name: '   ' })).toEqual([
      { path: ['name'], message: 'must not be blank' },
    ])
    expect(await issues({ userId: 'u123', name: 'a\u0007b' })).toEqual([
      { path: ['name'], message: 'must not contain control characters' },
    ])
    expect(await issues({ userId: 'u123', name: 'n', scopes: ['a::b'] })).toEqual([
      { path: ['scopes', 0], message: 'not a valid scope' },
    ])
  })

  it('listKeys: no store call for an invalid user id; oldest first whatever the store order; lastUsedAt shown', async () => {
    const { auth, spy, clock, issue } = setup()
    for (const userId of ['', 'a b', 'x'.repeat(65)])
      expect(await auth.listKeys(userId)).toEqual([])
    expect(spy.calls.listByUser).toBe(0)
    const first = await issue()
    clock.advance(1_000)
    const second = await issue()
    const stored = await spy.memory.listByUser('u123')
    spy.answer.listByUser = () => [...stored].reverse()
    expect((await auth.listKeys('u123')).map((k) => k.id)).toEqual([first.id, second.id])
    delete spy.answer.listByUser
    await auth.verifyKey(first.key)
    await vi.waitFor(async () => {
      const [listed] = await auth.listKeys('u123')
      expect(listed?.lastUsedAt).toEqual(new Date(clock.time))
    })
  })

  it('revokeKey: no store call unless the user id and the key id (a UUID string) are valid', async () => {
    const { auth, spy, issue } = setup()
    const { id } = await issue()
    for (const input of [
      { userId: 'a b', keyId: id },
      { userId: 'u123', keyId: `x${id}` },
      { userId: 'u123', keyId: `${id}x` },
      { userId: 'u123', keyId: [id] },
      { userId: 'u123', keyId: 42 },
    ]) {
      const error = await errorOf(() => auth.revokeKey(input as never))
      expect(error).toMatchObject({ code: 'KEY_NOT_FOUND', message: 'API key not found' })
    }
    expect(spy.calls.revoke).toBe(0)
    expect(spy.calls.listByUser).toBe(1) // the issue() above
    const unknown = await errorOf(() =>
      auth.revokeKey({ userId: 'u123', keyId: '00000000-0000-4000-8000-000000000000' }),
    )
    expect(unknown).toMatchObject({ code: 'KEY_NOT_FOUND', message: 'API key not found' })
    // A valid id is looked up among the user's keys of this environment first (issue 9,
    // finding 7): an id that is not there never reaches revoke.
    expect(spy.calls.listByUser).toBe(2)
    expect(spy.calls.revoke).toBe(0)
  })

  it('createKey answers with the documented reminder', async () => {
    const { auth } = setup()
    const created = await auth.createKey({ userId: 'u123', name: 'n' })
    expect(created.message).toBe('Store this key securely. It will not be shown again.')
  })
})

describe('one user, one creation at a time', () => {
  it('a creation arriving while another runs waits for it, even after earlier ones finished', async () => {
    const { auth, spy } = setup({ maxKeysPerUser: 2 })
    spy.behave.listByUser = { kind: 'defer' }
    const first = auth.createKey({ userId: 'u123', name: 'a' })
    const second = auth.createKey({ userId: 'u123', name: 'b' })
    await vi.waitFor(() => expect(spy.pending('listByUser')).toBe(1))
    await spy.release('listByUser')
    await first
    // The second creation is listing now; a third one arrives.
    await vi.waitFor(() => expect(spy.pending('listByUser')).toBe(1))
    const third = auth.createKey({ userId: 'u123', name: 'c' })
    spy.behave.listByUser = { kind: 'real' }
    await spy.release('listByUser')
    const results = await Promise.allSettled([second, third])
    expect(results.map((r) => (r.status === 'fulfilled' ? 'created' : r.reason.code))).toEqual([
      'created',
      'KEY_LIMIT_REACHED',
    ])
    expect(await spy.memory.listByUser('u123')).toHaveLength(2)
  })
})

describe('checkRouteScopes (0.2 name of requireScopes)', () => {
  it('checks route scopes once at set-up; requireScopes is the same check', () => {
    const { auth } = setup({ scopes: ['models:read', 'jobs:*'] })
    const checked = auth.checkRouteScopes(['models:read', 'jobs:x'])
    expect(checked).toEqual(['models:read', 'jobs:x'])
    expect(Object.isFrozen(checked)).toBe(true)
    expect(() => auth.checkRouteScopes(['models:write'])).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
    )
    expect(auth.requireScopes).toBe(auth.checkRouteScopes)
  })
})
