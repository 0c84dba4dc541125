/**
 * The guard of the store's lifecycle methods (`src/service/guarded-lifecycle.ts`), written
 * against surviving mutants (docs/testing.md, mutation testing): each call's operation name,
 * corrupt and malformed answers failing closed (503 `AUTH_UNAVAILABLE`, logged with what was
 * wrong), the audit argument only when the store writes the records, this instance's eviction
 * of every key a roll ends, and the first-use grace started off the request path.
 */
import { describe, expect, it } from 'vitest'
import {
  type ApiKeyAuthOptions,
  type ApiKeyRecord,
  type KeyRollResult,
  type KeyUpdateResult,
  MemoryKeyStore,
} from '../../src/index.js'
import { registerKey } from '../support/secret-scan.js'
import { codeOf } from '../support/setup.js'
import {
  lifecycleFixture,
  lifecycleStore,
  type LifecycleStoreOptions,
  storeCallRecorder,
} from './lifecycle-store.js'

const HOUR = 3_600_000

const fixture = (
  options: Partial<ApiKeyAuthOptions> = {},
  storeOptions: LifecycleStoreOptions = {},
) => lifecycleFixture(options, storeOptions)

// Lets the fire-and-forget store calls of a verification settle. Every store answer here is an
// in-memory promise chain (microtasks only), and the event loop runs all pending microtasks
// before the next macrotask: one turn is enough on any machine, however busy. Not a sleep.
const settle = () => new Promise((resolve) => setImmediate(resolve))

describe('each lifecycle call is reported under its own operation', () => {
  it('insertCapped, listPage, setDisabled, update, roll and startRollGrace', async () => {
    const r = storeCallRecorder()
    const f = fixture({ telemetry: r.telemetry, scopes: ['models:read'] })
    const { id } = await f.issue()
    await f.auth.listKeyPage({ userId: 'u1' })
    await f.auth.disableKey({ userId: 'u1', keyId: id })
    await f.auth.enableKey({ userId: 'u1', keyId: id })
    await f.auth.updateKey({ userId: 'u1', keyId: id, name: 'renamed' })
    const rolled = await f.auth.rollKey({
      userId: 'u1',
      keyId: id,
      gracePeriodMs: HOUR,
      graceStarts: 'firstUse',
    })
    registerKey(rolled.key)
    await f.auth.verifyKey(rolled.key)
    await settle()
    const lifecycle = new Set([
      'insertCapped',
      'listPage',
      'setDisabled',
      'update',
      'roll',
      'startRollGrace',
    ])
    expect(r.calls.filter(([op]) => lifecycle.has(op))).toEqual([
      ['insertCapped', 'OK'],
      ['listPage', 'OK'],
      ['setDisabled', 'OK'],
      ['setDisabled', 'OK'],
      ['update', 'OK'],
      ['roll', 'OK'],
      ['startRollGrace', 'OK'],
    ])
  })
})

describe('a corrupt record in an answer fails closed, logged with the operation and the field', () => {
  const corrupt = { hash: 42 }

  it('setDisabled: a corrupt record, or one of another owner', async () => {
    const f = fixture()
    const { id } = await f.issue()
    f.answers.setDisabled = async (args, memory) => ({
      ...(await memory.setDisabled(...(args as [string, string, Date | null]))),
      ...corrupt,
    })
    expect(await codeOf(() => f.auth.disableKey({ userId: 'u1', keyId: id }))).toBe(
      'AUTH_UNAVAILABLE',
    )
    f.answers.setDisabled = async (args, memory) => ({
      ...(await memory.setDisabled(...(args as [string, string, Date | null]))),
      userId: 'u2',
    })
    expect(await codeOf(() => f.auth.enableKey({ userId: 'u1', keyId: id }))).toBe(
      'AUTH_UNAVAILABLE',
    )
    expect(f.errors()).toEqual([
      ['store returned a corrupt record from setDisabled', { field: 'hash' }],
      ['store returned a corrupt record from setDisabled', { field: 'userId' }],
    ])
  })

  it('update: the updated record, and the current one of a conflict', async () => {
    const f = fixture()
    const { id } = await f.issue()
    type UpdateArgs = Parameters<MemoryKeyStore['update']>
    f.answers.update = async (args, memory) => {
      const result = (await memory.update(...(args as UpdateArgs))) as KeyUpdateResult
      return result.ok ? { ...result, record: { ...result.record, userId: 'u2' } } : result
    }
    expect(await codeOf(() => f.auth.updateKey({ userId: 'u1', keyId: id, name: 'a' }))).toBe(
      'AUTH_UNAVAILABLE',
    )
    f.answers.update = async (_args, memory) => {
      const [record] = await memory.listByUser('u1')
      return { ok: false, reason: 'conflict', current: { ...record, ...corrupt } }
    }
    expect(await codeOf(() => f.auth.updateKey({ userId: 'u1', keyId: id, name: 'b' }))).toBe(
      'AUTH_UNAVAILABLE',
    )
    expect(f.errors()).toEqual([
      ['store returned a corrupt record from update', { field: 'userId' }],
      ['store returned a corrupt record from update', { field: 'hash' }],
    ])
  })

  it('listPage: one corrupt record in the page; an answer that is no array', async () => {
    const f = fixture()
    await f.issue()
    f.answers.listPage = async (args, memory) =>
      (await memory.listPage(...(args as Parameters<MemoryKeyStore['listPage']>))).map((r) => ({
        ...r,
        ...corrupt,
      }))
    expect(await codeOf(() => f.auth.listKeyPage({ userId: 'u1' }))).toBe('AUTH_UNAVAILABLE')
    f.answers.listPage = async () => ({ keys: [] })
    expect(await codeOf(() => f.auth.listKeyPage({ userId: 'u1' }))).toBe('AUTH_UNAVAILABLE')
    expect(f.errors()).toEqual([
      ['store returned a corrupt record from listPage', { field: 'hash' }],
      ['store returned a corrupt page', { userId: 'u1' }],
    ])
  })

  it('roll: the previous, the next and the ended record, and the current one of a refusal', async () => {
    const f = fixture()
    const { id } = await f.issue()
    type RollArgs = Parameters<MemoryKeyStore['roll']>
    const rollThen =
      (change: (result: Extract<KeyRollResult, { ok: true }>) => object) =>
      async (args: unknown[], memory: MemoryKeyStore) => {
        const result = (await memory.roll(...(args as RollArgs))) as KeyRollResult
        return result.ok ? change(result) : result
      }
    f.answers.roll = rollThen((r) => ({ ...r, previous: { ...r.previous, ...corrupt } }))
    expect(await codeOf(() => f.auth.rollKey({ userId: 'u1', keyId: id }))).toBe('AUTH_UNAVAILABLE')
    const second = await f.issue()
    f.answers.roll = rollThen((r) => ({ ...r, next: { ...r.next, userId: 'u2' } }))
    expect(await codeOf(() => f.auth.rollKey({ userId: 'u1', keyId: second.id }))).toBe(
      'AUTH_UNAVAILABLE',
    )
    // Rolling a key within its grace ends its predecessor's: that record is checked too.
    const third = await f.issue()
    delete f.answers.roll
    const rolled = await f.auth.rollKey({ userId: 'u1', keyId: third.id })
    registerKey(rolled.key)
    f.answers.roll = rollThen((r) => ({ ...r, ended: { ...r.ended, scopes: 'all' } }))
    expect(await codeOf(() => f.auth.rollKey({ userId: 'u1', keyId: rolled.id }))).toBe(
      'AUTH_UNAVAILABLE',
    )
    f.answers.roll = async ([request], memory) => {
      const current = (await memory.listByUser('u1')).find(
        (r) => r.id === (request as { keyId: string }).keyId,
      )
      return { ok: false, reason: 'revoked', current: { ...current, ...corrupt } }
    }
    expect(await codeOf(() => f.auth.rollKey({ userId: 'u1', keyId: third.id }))).toBe(
      'AUTH_UNAVAILABLE',
    )
    expect(f.errors()).toEqual([
      ['store returned a corrupt record from roll', { field: 'hash' }],
      ['store returned a corrupt record from roll', { field: 'userId' }],
      ['store returned a corrupt record from roll', { field: 'scopes' }],
      ['store returned a corrupt record from roll', { field: 'hash' }],
    ])
  })
})

describe('a malformed answer fails closed, logged as malformed', () => {
  it.each([
    ['nothing', undefined],
    ['an answer without ok', { reason: 'conflict' }],
  ])('update and roll answering %s', async (_, answer) => {
    const f = fixture()
    const { id } = await f.issue()
    f.answers.update = async () => answer
    f.answers.roll = async () => answer
    expect(await codeOf(() => f.auth.updateKey({ userId: 'u1', keyId: id, name: 'n' }))).toBe(
      'AUTH_UNAVAILABLE',
    )
    expect(await codeOf(() => f.auth.rollKey({ userId: 'u1', keyId: id }))).toBe('AUTH_UNAVAILABLE')
    expect(f.errors()).toEqual([
      ['store returned a malformed update result', { keyId: id }],
      ['store returned a malformed roll result', { keyId: id }],
    ])
  })

  it('insertCapped answering anything but a boolean', async () => {
    const f = fixture()
    f.answers.insertCapped = async () => undefined
    const error = await f.auth.createKey({ userId: 'u1', name: 'k' }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'AUTH_UNAVAILABLE' })
    const [[message, context]] = f.errors() as [[string, { keyId: string }]]
    expect(message).toBe('store returned a malformed insertCapped result')
    expect(context.keyId).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe('the audit argument goes to the store only when it writes the records', () => {
  async function exercise(f: ReturnType<typeof fixture>) {
    const { id } = await f.issue()
    await f.auth.disableKey({ userId: 'u1', keyId: id })
    await f.auth.enableKey({ userId: 'u1', keyId: id })
    await f.auth.updateKey({ userId: 'u1', keyId: id, name: 'renamed' })
    const rolled = await f.auth.rollKey({ userId: 'u1', keyId: id })
    registerKey(rolled.key)
    return { id, rolled }
  }

  it('a store that is not the audit store is called without it', async () => {
    const f = fixture()
    await exercise(f)
    const g = fixture({ auditStore: lifecycleStore().audit })
    await exercise(g)
    for (const { arity } of [f, g]) {
      expect(arity).toEqual({ insertCapped: [2], setDisabled: [3, 3], update: [4], roll: [1] })
    }
  })

  it('a store that is also the audit store gets the records of each change with it', async () => {
    const f = fixture({}, { atomicAudit: true })
    const { id, rolled } = await exercise(f)
    expect(f.arity).toEqual({ insertCapped: [3], setDisabled: [4, 4], update: [5], roll: [2] })
    const actions = async (keyId: string) =>
      (await f.auth.listEvents({ userId: 'u1', keyId })).events.map((e) => e.action)
    expect(await actions(id)).toEqual(['rolled', 'updated', 'enabled', 'disabled', 'created'])
    expect(await actions(rolled.id)).toEqual(['created'])
  })
})

describe('this instance evicts every key a change ends (a store that pushes nothing)', () => {
  it('rolling a key within its grace ends its predecessor’s grace here at once', async () => {
    const f = fixture()
    const first = await f.issue()
    const second = await f.auth.rollKey({ userId: 'u1', keyId: first.id, gracePeriodMs: HOUR })
    registerKey(second.key)
    expect((await f.auth.verifyKey(first.key)).keyId).toBe(first.id) // cached, in its grace
    f.clock.advance(1000)
    const third = await f.auth.rollKey({ userId: 'u1', keyId: second.id, gracePeriodMs: HOUR })
    registerKey(third.key)
    expect(await codeOf(() => f.auth.verifyKey(first.key))).toBe('KEY_EXPIRED')
    expect((await f.auth.verifyKey(second.key)).keyId).toBe(second.id)
  })

  it('a first-use grace started by the new key’s first verification ends the old key here', async () => {
    const f = fixture()
    const old = await f.issue()
    const rolled = await f.auth.rollKey({
      userId: 'u1',
      keyId: old.id,
      gracePeriodMs: 1000,
      graceStarts: 'firstUse',
    })
    registerKey(rolled.key)
    expect((await f.auth.verifyKey(old.key)).keyId).toBe(old.id) // cached, no grace end yet
    await f.auth.verifyKey(rolled.key)
    await settle()
    f.clock.advance(1000)
    expect(await codeOf(() => f.auth.verifyKey(old.key))).toBe('KEY_EXPIRED')
  })
})

describe('starting a first-use grace', () => {
  it('a failed start is logged and asked again on the next verification', async () => {
    const f = fixture()
    const old = await f.issue()
    const rolled = await f.auth.rollKey({
      userId: 'u1',
      keyId: old.id,
      gracePeriodMs: HOUR,
      graceStarts: 'firstUse',
    })
    registerKey(rolled.key)
    f.answers.startRollGrace = async () => {
      throw new Error('connection reset')
    }
    await f.auth.verifyKey(rolled.key)
    await settle()
    const warning = f.logs.lines.find((l) => l.level === 'warn')
    expect(warning?.message).toBe('starting a roll grace failed')
    expect(warning?.context).toEqual({
      keyId: rolled.id,
      error: 'AuthError: Authentication is temporarily unavailable',
    })
    delete f.answers.startRollGrace
    // Asked with the next write of lastUsedAt (a minute later by default), then never again.
    for (let i = 0; i < 2; i++) {
      f.clock.advance(60_000)
      await f.auth.verifyKey(rolled.key)
      await settle()
    }
    expect(f.arity['startRollGrace']).toHaveLength(2)
    f.clock.advance(HOUR)
    expect(await codeOf(() => f.auth.verifyKey(old.key))).toBe('KEY_EXPIRED')
  })

  it('an answer without a record (null) evicts nothing and logs nothing', async () => {
    const f = fixture()
    const old = await f.issue()
    const rolled = await f.auth.rollKey({
      userId: 'u1',
      keyId: old.id,
      gracePeriodMs: HOUR,
      graceStarts: 'firstUse',
    })
    registerKey(rolled.key)
    f.answers.startRollGrace = async () => null
    await f.auth.verifyKey(rolled.key)
    await settle()
    expect(f.arity['startRollGrace']).toHaveLength(1)
    expect(f.logs.lines).toEqual([])
    expect((await f.auth.verifyKey(rolled.key)).keyId).toBe(rolled.id)
  })

  it('an instance whose store has no startRollGrace leaves the grace to the others, silently', async () => {
    const memory = new MemoryKeyStore()
    const a = fixture({}, { memory })
    const b = fixture({}, { memory, omit: ['startRollGrace'] })
    const old = await a.issue()
    const rolled = await a.auth.rollKey({
      userId: 'u1',
      keyId: old.id,
      gracePeriodMs: HOUR,
      graceStarts: 'firstUse',
    })
    registerKey(rolled.key)
    expect((await b.auth.verifyKey(rolled.key)).keyId).toBe(rolled.id)
    await settle()
    expect(b.logs.lines).toEqual([])
    const stored = memory.snapshot().find((r: ApiKeyRecord) => r.id === old.id)
    expect(stored?.graceEndsAt ?? null).toBeNull()
  })
})
