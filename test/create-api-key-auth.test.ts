/** The auth service: createKey, listKeys, revokeKey, verifyKey, authenticate. */
import { describe, expect, it } from 'vitest'
import {
  CREATE_KEY_MESSAGE,
  formatKeyPrefix,
  generateApiKey,
  hashApiKey,
  parseApiKey,
} from '../src/index.js'
import { expectNoLeak } from './support/leak.js'
import { codeOf, errorOf, recordFor, setup } from './support/setup.js'

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
    })
    await expect(auth.authenticate(`Bearer ${created.key}`)).resolves.toEqual({
      keyId: created.id,
      userId: 'user_2abc',
      scopes: ['*'],
      name: 'CI',
      expiresAt: null,
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
      'expiresAt',
      'id',
      'keyPrefix',
      'lastUsedAt',
      'name',
      'revokedAt',
      'scopes',
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
