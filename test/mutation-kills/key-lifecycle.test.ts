/**
 * Roll, disable and enable (`src/service/key-lifecycle.ts`), written against surviving mutants
 * (docs/testing.md, mutation testing): the refusals' messages and reasons, what the defaults of a
 * roll are, stores that cannot roll, disable or start a first-use grace, races between the read
 * and the write (a key revoked, disabled or removed meanwhile), the chain of rolls given up after
 * four hops, and the audit records of each change (only changes this call made).
 */
import { describe, expect, it, vi } from 'vitest'
import {
  type ApiKeyAuthOptions,
  type ApiKeyRecord,
  type AuthError,
  type KeyRollRequest,
} from '../../src/index.js'
import { registerKey } from '../support/secret-scan.js'
import { codeOf, errorOf } from '../support/setup.js'
import { lifecycleFixture, type LifecycleStoreOptions } from './lifecycle-store.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const UNKNOWN = '00000000-0000-4000-8000-000000000000'

const fixture = (
  options: Partial<ApiKeyAuthOptions> = {},
  storeOptions: LifecycleStoreOptions = {},
) => lifecycleFixture(options, storeOptions, { separateAudit: true })

type Refusal = { code: string; message: string; reason: string | undefined }
const refusal = async (fn: () => Promise<unknown>): Promise<Refusal> => {
  const { code, message, reason } = (await errorOf(fn)) as AuthError
  return { code, message, reason }
}

describe('rollKey refusals', () => {
  it('a revoked, an expired and a disabled key: 409 with the state as reason and its own message', async () => {
    const f = fixture()
    const revoked = await f.issue()
    await f.auth.revokeKey({ userId: 'u1', keyId: revoked.id })
    const disabled = await f.issue()
    await f.auth.disableKey({ userId: 'u1', keyId: disabled.id })
    const expired = await f.issue({ expiresInDays: 1 })
    f.clock.advance(DAY)
    const roll = (keyId: string) => () => f.auth.rollKey({ userId: 'u1', keyId })
    expect(await refusal(roll(revoked.id))).toEqual({
      code: 'KEY_STATE_CONFLICT',
      message: 'A revoked key cannot be rolled',
      reason: 'revoked',
    })
    expect(await refusal(roll(expired.id))).toEqual({
      code: 'KEY_STATE_CONFLICT',
      message: 'An expired key cannot be rolled',
      reason: 'expired',
    })
    expect(await refusal(roll(disabled.id))).toEqual({
      code: 'KEY_STATE_CONFLICT',
      message: 'A disabled key cannot be rolled; enable it first',
      reason: 'disabled',
    })
  })

  it('a key rolled with grace 0 is revoked: rolling it again is refused, not followed to its replacement', async () => {
    const f = fixture()
    const old = await f.issue()
    const rolled = await f.auth.rollKey({ userId: 'u1', keyId: old.id, gracePeriodMs: 0 })
    registerKey(rolled.key)
    expect(await refusal(() => f.auth.rollKey({ userId: 'u1', keyId: old.id }))).toEqual({
      code: 'KEY_STATE_CONFLICT',
      message: 'A revoked key cannot be rolled',
      reason: 'revoked',
    })
    expect(f.arity['roll']).toHaveLength(2)
    expect(f.memory.size).toBe(2)
  })

  it('a store refusing "replaced" without naming the replacement: 409 as revoked', async () => {
    const f = fixture()
    const { id } = await f.issue()
    f.answers.roll = async ([request], memory) => {
      const current = (await memory.listByUser('u1')).find(
        (r) => r.id === (request as KeyRollRequest).keyId,
      )
      return { ok: false, reason: 'replaced', current }
    }
    expect(await refusal(() => f.auth.rollKey({ userId: 'u1', keyId: id }))).toEqual({
      code: 'KEY_STATE_CONFLICT',
      message: 'A revoked key cannot be rolled',
      reason: 'revoked',
    })
    expect(f.arity['roll']).toHaveLength(1)
  })

  it('a chain of replacements is followed for four rolls, then 409 roll_contention', async () => {
    const f = fixture()
    const { id } = await f.issue()
    const asked: string[] = []
    f.answers.roll = async ([request], memory) => {
      const { keyId } = request as KeyRollRequest
      asked.push(keyId)
      const [record] = await memory.listByUser('u1')
      // Always someone faster: each answer names a newer replacement.
      return {
        ok: false,
        reason: 'replaced',
        current: { ...record, id: keyId, replacedBy: crypto.randomUUID() },
      }
    }
    expect(await refusal(() => f.auth.rollKey({ userId: 'u1', keyId: id }))).toEqual({
      code: 'KEY_STATE_CONFLICT',
      message: 'The key is being rolled concurrently; try again',
      reason: 'roll_contention',
    })
    expect(asked).toHaveLength(4)
    expect(asked[0]).toBe(id)
    expect(new Set(asked).size).toBe(4)
  })

  it('a key gone between the read and the roll (the store answers null) is 404', async () => {
    const f = fixture()
    const { id } = await f.issue()
    f.answers.roll = async () => null
    expect(await codeOf(() => f.auth.rollKey({ userId: 'u1', keyId: id }))).toBe('KEY_NOT_FOUND')
  })
})

describe('rollKey defaults and input', () => {
  it('the default grace is one day, or maxRollGraceMs when that is shorter', async () => {
    const f = fixture()
    const a = await f.issue()
    const rolled = await f.auth.rollKey({ userId: 'u1', keyId: a.id })
    registerKey(rolled.key)
    expect(rolled.previous.expiresAt).toEqual(new Date(f.clock.time + DAY))
    const short = fixture({ maxRollGraceMs: 2 * HOUR })
    const b = await short.issue()
    const rolledShort = await short.auth.rollKey({ userId: 'u1', keyId: b.id })
    registerKey(rolledShort.key)
    expect(rolledShort.previous.expiresAt).toEqual(new Date(short.clock.time + 2 * HOUR))
    const long = fixture({ maxRollGraceMs: 3 * DAY })
    const c = await long.issue()
    const rolledLong = await long.auth.rollKey({ userId: 'u1', keyId: c.id })
    registerKey(rolledLong.key)
    expect(rolledLong.previous.expiresAt).toEqual(new Date(long.clock.time + DAY))
  })

  it("graceStarts 'now' may be given; grace 0 starts now even when 'firstUse' is asked", async () => {
    const f = fixture()
    const a = await f.issue()
    const rolled = await f.auth.rollKey({
      userId: 'u1',
      keyId: a.id,
      gracePeriodMs: HOUR,
      graceStarts: 'now',
    })
    registerKey(rolled.key)
    expect(rolled.previous.expiresAt).toEqual(new Date(f.clock.time + HOUR))
    const b = await f.issue()
    const revoked = await f.auth.rollKey({
      userId: 'u1',
      keyId: b.id,
      gracePeriodMs: 0,
      graceStarts: 'firstUse',
    })
    registerKey(revoked.key)
    expect(revoked.previous.expiresAt).toEqual(new Date(f.clock.time))
    const [record] = (await f.auth.listEvents({ userId: 'u1', keyId: b.id })).events
    expect(record?.changes).toEqual({
      newKeyId: revoked.id,
      gracePeriodMs: 0,
      graceStarts: 'now',
    })
  })

  it('the new key has the prefix, environment and owner kind of the instance', async () => {
    const f = fixture({ prefix: 'acme', environment: 'test', ownerTypes: ['user', 'org'] })
    const a = await f.auth.createKey({ ownerType: 'org', ownerId: 'team7', name: 'org key' })
    registerKey(a.key)
    const rolled = await f.auth.rollKey({ ownerType: 'org', ownerId: 'team7', keyId: a.id })
    registerKey(rolled.key)
    expect(rolled.key.startsWith('acme_test_org_team7_')).toBe(true)
    expect((await f.auth.verifyKey(rolled.key)).keyId).toBe(rolled.id)
  })

  it('actorId is the new key’s createdBy and the actor of the records; a context’s actor wins', async () => {
    const f = fixture()
    const a = await f.issue()
    const rolled = await f.auth.rollKey({ userId: 'u1', keyId: a.id, actorId: 'alice' })
    registerKey(rolled.key)
    expect(rolled.apiKey.createdBy).toBe('alice')
    const actorsOf = async (keyId: string) =>
      (await f.auth.listEvents({ userId: 'u1', keyId })).events.map((e) => [e.action, e.actor])
    expect(await actorsOf(a.id)).toEqual([
      ['rolled', { type: 'user', id: 'alice' }],
      ['created', null],
    ])
    expect(await actorsOf(rolled.id)).toEqual([['created', { type: 'user', id: 'alice' }]])
    const b = await f.issue()
    const bySystem = await f.auth.rollKey(
      { userId: 'u1', keyId: b.id, actorId: 'alice' },
      { actor: { type: 'system', id: 'cron' } },
    )
    registerKey(bySystem.key)
    expect(bySystem.apiKey.createdBy).toBe('alice')
    expect((await actorsOf(b.id))[0]).toEqual(['rolled', { type: 'system', id: 'cron' }])
    const c = await f.issue()
    const anonymous = await f.auth.rollKey({ userId: 'u1', keyId: c.id })
    registerKey(anonymous.key)
    expect(anonymous.apiKey.createdBy).toBeNull()
    expect((await actorsOf(c.id))[0]).toEqual(['rolled', null])
  })
})

describe('stores that cannot roll or disable', () => {
  it('answer NOT_SUPPORTED before reading the key: an unknown key too', async () => {
    const f = fixture({}, { omit: ['roll', 'startRollGrace', 'setDisabled'] })
    const { id } = await f.issue()
    for (const keyId of [id, UNKNOWN]) {
      expect(await codeOf(() => f.auth.rollKey({ userId: 'u1', keyId }))).toBe('NOT_SUPPORTED')
      expect(await codeOf(() => f.auth.disableKey({ userId: 'u1', keyId }))).toBe('NOT_SUPPORTED')
      expect(await codeOf(() => f.auth.enableKey({ userId: 'u1', keyId }))).toBe('NOT_SUPPORTED')
    }
  })

  it("a store without startRollGrace rolls with 'now' (and grace 0) but refuses 'firstUse'", async () => {
    const f = fixture({}, { omit: ['startRollGrace'] })
    const a = await f.issue()
    expect(
      await codeOf(() =>
        f.auth.rollKey({ userId: 'u1', keyId: a.id, gracePeriodMs: HOUR, graceStarts: 'firstUse' }),
      ),
    ).toBe('NOT_SUPPORTED')
    expect(f.arity['roll']).toBeUndefined()
    const now = await f.auth.rollKey({ userId: 'u1', keyId: a.id, graceStarts: 'now' })
    registerKey(now.key)
    const b = await f.issue()
    const zero = await f.auth.rollKey({
      userId: 'u1',
      keyId: b.id,
      gracePeriodMs: 0,
      graceStarts: 'firstUse',
    })
    registerKey(zero.key)
    expect(f.arity['roll']).toHaveLength(2)
  })
})

describe('findOwn: which key an operation may touch', () => {
  it('no owner is 404 (never a TypeError); an id that is no UUID is 404 without asking the store', async () => {
    const f = fixture()
    const { id } = await f.issue()
    for (const input of [{ keyId: id }, { userId: 'not valid!', keyId: id }]) {
      expect(await codeOf(() => f.auth.disableKey(input))).toBe('KEY_NOT_FOUND')
      expect(await codeOf(() => f.auth.rollKey(input))).toBe('KEY_NOT_FOUND')
    }
    const listed = vi.spyOn(f.memory, 'listByUser')
    expect(await codeOf(() => f.auth.disableKey({ userId: 'u1', keyId: 'nope' }))).toBe(
      'KEY_NOT_FOUND',
    )
    expect(listed).not.toHaveBeenCalled()
  })
})

describe('disableKey and enableKey', () => {
  it('a revoked key: 409 with reason revoked and a message naming the operation', async () => {
    const f = fixture()
    const { id } = await f.issue()
    await f.auth.revokeKey({ userId: 'u1', keyId: id })
    expect(await refusal(() => f.auth.disableKey({ userId: 'u1', keyId: id }))).toEqual({
      code: 'KEY_STATE_CONFLICT',
      message: 'A revoked key cannot be disabled',
      reason: 'revoked',
    })
    expect(await refusal(() => f.auth.enableKey({ userId: 'u1', keyId: id }))).toEqual({
      code: 'KEY_STATE_CONFLICT',
      message: 'A revoked key cannot be enabled',
      reason: 'revoked',
    })
    // Refused on the read: the store was never asked to change it.
    expect(f.arity['setDisabled']).toBeUndefined()
  })

  it('revoked between the read and the write: 409 "The key was revoked", and no audit record', async () => {
    const f = fixture()
    const { id } = await f.issue()
    f.answers.setDisabled = async (args, memory) => {
      const [keyId, userId, at] = args as [string, string, Date | null]
      await memory.revoke(keyId, userId, new Date(f.clock.time))
      return memory.setDisabled(keyId, userId, at)
    }
    expect(await refusal(() => f.auth.disableKey({ userId: 'u1', keyId: id }))).toEqual({
      code: 'KEY_STATE_CONFLICT',
      message: 'The key was revoked',
      reason: 'revoked',
    })
    expect(await f.actions(id)).toEqual(['created'])
  })

  it('an answer re-read after a revoke landed on our disable: 409, and no disabled record', async () => {
    const f = fixture()
    const { id } = await f.issue()
    // A store that answers with the record as it reads after the write: revoked by then.
    f.answers.setDisabled = async (args, memory) => {
      const [keyId, userId, at] = args as [string, string, Date | null]
      await memory.setDisabled(keyId, userId, at)
      return memory.revoke(keyId, userId, new Date(f.clock.time))
    }
    expect(await refusal(() => f.auth.disableKey({ userId: 'u1', keyId: id }))).toEqual({
      code: 'KEY_STATE_CONFLICT',
      message: 'The key was revoked',
      reason: 'revoked',
    })
    expect(await f.actions(id)).toEqual(['created'])
  })

  it('a key gone between the read and the write is 404', async () => {
    const f = fixture()
    const { id } = await f.issue()
    f.answers.setDisabled = async () => null
    expect(await codeOf(() => f.auth.disableKey({ userId: 'u1', keyId: id }))).toBe('KEY_NOT_FOUND')
    expect(await f.actions(id)).toEqual(['created'])
  })

  it('records disabled and enabled only for a change this call made', async () => {
    const f = fixture()
    const { id } = await f.issue()
    await f.auth.enableKey({ userId: 'u1', keyId: id }) // already enabled: nothing changes
    await f.auth.disableKey({ userId: 'u1', keyId: id })
    f.clock.advance(1000)
    await f.auth.disableKey({ userId: 'u1', keyId: id }) // already disabled
    await f.auth.enableKey({ userId: 'u1', keyId: id })
    expect(await f.actions(id)).toEqual(['enabled', 'disabled', 'created'])
  })

  it('disabled by someone else between the read and the write: the answer stands, no record of ours', async () => {
    const f = fixture()
    const { id } = await f.issue()
    const earlier = new Date(f.clock.time)
    f.clock.advance(1000)
    f.answers.setDisabled = async (args, memory) => {
      const [keyId, userId, at] = args as [string, string, Date | null]
      await memory.setDisabled(keyId, userId, earlier) // the other instance's disable
      return memory.setDisabled(keyId, userId, at)
    }
    const info = await f.auth.disableKey({ userId: 'u1', keyId: id })
    expect([info.status, info.disabledAt]).toEqual(['disabled', earlier])
    expect(await f.actions(id)).toEqual(['created'])
  })

  it('re-disabled by someone else before our enable wrote: no enabled record', async () => {
    const f = fixture()
    const { id } = await f.issue()
    await f.auth.disableKey({ userId: 'u1', keyId: id })
    // The store answers as if another instance disabled the key again right after our enable.
    f.answers.setDisabled = async (args, memory) => {
      const [keyId, userId] = args as [string, string]
      await memory.setDisabled(keyId, userId, null)
      return memory.setDisabled(keyId, userId, new Date(f.clock.time))
    }
    const info = await f.auth.enableKey({ userId: 'u1', keyId: id })
    expect(info.status).toBe('disabled')
    expect(await f.actions(id)).toEqual(['disabled', 'created'])
  })

  it('a store whose records have no disabledAt field: enabling a disabled key is a change', async () => {
    const f = fixture()
    const { id } = await f.issue()
    await f.auth.disableKey({ userId: 'u1', keyId: id })
    f.answers.setDisabled = async (args, memory) => {
      const [keyId, userId, at] = args as [string, string, Date | null]
      const record = (await memory.setDisabled(keyId, userId, at)) as ApiKeyRecord
      const { disabledAt: _, ...without } = record
      return without
    }
    expect((await f.auth.enableKey({ userId: 'u1', keyId: id })).status).toBe('active')
    expect(await f.actions(id)).toEqual(['enabled', 'disabled', 'created'])
  })

  it('a store that answers a disable with a record not disabled: no record of ours, no crash', async () => {
    const f = fixture()
    const { id } = await f.issue()
    f.answers.setDisabled = async (args, memory) => {
      const [keyId, userId] = args as [string, string]
      return memory.setDisabled(keyId, userId, null)
    }
    expect((await f.auth.disableKey({ userId: 'u1', keyId: id })).status).toBe('active')
    expect(await f.actions(id)).toEqual(['created'])
  })

  it('a store that is also the audit store gets the disabled record with the change', async () => {
    const f = fixture({}, { atomicAudit: true })
    const { id } = await f.issue()
    await f.auth.disableKey({ userId: 'u1', keyId: id }, { actor: { type: 'user', id: 'bob' } })
    expect(f.arity['setDisabled']).toEqual([4])
    const { events } = await f.auth.listEvents({ userId: 'u1', keyId: id })
    expect(events.map((e) => [e.action, e.actor])).toEqual([
      ['disabled', { type: 'user', id: 'bob' }],
      ['created', null],
    ])
  })
})
