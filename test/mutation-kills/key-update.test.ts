/**
 * `updateKey` (`src/service/key-update.ts`), written against surviving mutants (docs/testing.md,
 * mutation testing): its validation errors, the narrowing rules for scopes and expiry at their
 * boundaries, a revoked key, scopes outside the registry, stores that cannot update, and what a
 * successful update stores.
 */
import { describe, expect, it } from 'vitest'
import {
  type AuditRecord,
  type AuditStore,
  type AuditWrite,
  type AuthError,
  createApiKeyAuth,
  type KeyStore,
  type KeyUpdateExpectation,
  type KeyUpdatePatch,
  MemoryAuditStore,
  MemoryKeyStore,
} from '../../src/index.js'
import { createClock } from '../support/clock.js'
import { registerKey } from '../support/secret-scan.js'
import { codeOf, errorOf } from '../support/setup.js'

const DAY = 86_400_000

async function fixture(scopes = ['models:*'], expiresInDays?: number) {
  const clock = createClock()
  const memory = new MemoryKeyStore()
  const auth = createApiKeyAuth({
    store: memory,
    now: clock.now,
    scopes: ['models:*', 'models:read', 'models:write', 'jobs:read'],
    logger: false,
  })
  const created = await auth.createKey({
    userId: 'u1',
    name: 'k',
    scopes,
    ...(expiresInDays === undefined ? {} : { expiresInDays }),
  })
  registerKey(created.key)
  const issuesOf = async (patch: Record<string, unknown>) =>
    (
      (await errorOf(() =>
        auth.updateKey({ userId: 'u1', keyId: created.id, ...patch }),
      )) as AuthError
    ).issues
  return { auth, clock, memory, id: created.id, key: created.key, issuesOf }
}

describe('updateKey validation', () => {
  it('names what is wrong with each field', async () => {
    const f = await fixture()
    expect(await f.issuesOf({ scopes: ['not a scope!'] })).toEqual([
      { path: ['scopes', 0], message: 'not a valid scope' },
    ])
    expect(await f.issuesOf({ expiresAt: 42 })).toEqual([
      { path: ['expiresAt'], message: 'must be an ISO 8601 date-time or a Date' },
    ])
    expect(await f.issuesOf({})).toEqual([
      { path: [], message: 'nothing to update: give name, metadata, scopes, expiresAt or limits' },
    ])
    expect(await codeOf(() => f.auth.updateKey(null as never))).toBe('VALIDATION_ERROR')
    await f.auth.close()
  })

  it('an ISO date-time string is a date; expiry may be narrowed down to its current value', async () => {
    const f = await fixture(['models:*'], 30)
    const at = new Date(f.clock.time + 10 * DAY)
    const info = await f.auth.updateKey({ userId: 'u1', keyId: f.id, expiresAt: at.toISOString() })
    expect(info.expiresAt).toEqual(at)
    // Equal to the current expiry: allowed (nothing is extended).
    expect(
      (await f.auth.updateKey({ userId: 'u1', keyId: f.id, expiresAt: at })).expiresAt,
    ).toEqual(at)
    expect(await f.issuesOf({ expiresAt: new Date(at.getTime() + 1) })).toEqual([
      {
        path: ['expiresAt'],
        message: 'would extend the key: must not be later than its current expiry',
      },
    ])
    // Now is not the future; a millisecond later is.
    expect(await f.issuesOf({ expiresAt: new Date(f.clock.time) })).toEqual([
      { path: ['expiresAt'], message: 'must be in the future (revoke the key to end it now)' },
    ])
    const soon = new Date(f.clock.time + 1)
    expect(
      (await f.auth.updateKey({ userId: 'u1', keyId: f.id, expiresAt: soon })).expiresAt,
    ).toEqual(soon)
    await f.auth.close()
  })

  it('scopes narrow only, within the registry, and are stored once each', async () => {
    const f = await fixture(['models:read'])
    expect(await f.issuesOf({ scopes: ['jobs:read'] })).toEqual([
      { path: ['scopes', 0], message: 'would widen the key: not covered by its current scopes' },
    ])
    const wide = await fixture(['models:*'])
    expect(await wide.issuesOf({ scopes: ['models:admin'] })).toEqual([
      { path: ['scopes'], message: 'not in the scope registry: "models:admin"' },
    ])
    const info = await wide.auth.updateKey({
      userId: 'u1',
      keyId: wide.id,
      scopes: ['models:read', 'models:read'],
    })
    expect(info.scopes).toEqual(['models:read'])
    expect(wide.memory.snapshot()[0]?.scopes).toEqual(['models:read'])
    await Promise.all([f.auth.close(), wide.auth.close()])
  })

  it('metadata is replaced by a copy; a name alone leaves scopes and metadata as they were', async () => {
    const f = await fixture()
    const metadata = { team: 'ml' }
    await f.auth.updateKey({ userId: 'u1', keyId: f.id, metadata })
    metadata.team = 'changed'
    expect(f.memory.snapshot()[0]?.metadata).toEqual({ team: 'ml' })
    const info = await f.auth.updateKey({ userId: 'u1', keyId: f.id, name: 'renamed' })
    expect([info.name, info.scopes, info.metadata]).toEqual([
      'renamed',
      ['models:*'],
      { team: 'ml' },
    ])
    await f.auth.close()
  })

  it('limits are set and cleared', async () => {
    const f = await fixture()
    await f.auth.updateKey({ userId: 'u1', keyId: f.id, limits: { credits: { remaining: 3 } } })
    expect(f.memory.snapshot()[0]?.limits).toEqual({ credits: { remaining: 3 } })
    await f.auth.updateKey({ userId: 'u1', keyId: f.id, limits: null })
    expect(f.memory.snapshot()[0]?.limits ?? null).toBeNull()
    await f.auth.close()
  })
})

describe('updateKey refusals', () => {
  it('a revoked key is a state conflict; an unknown key is not found', async () => {
    const f = await fixture()
    await f.auth.revokeKey({ userId: 'u1', keyId: f.id })
    expect(
      await errorOf(() => f.auth.updateKey({ userId: 'u1', keyId: f.id, name: 'x' })),
    ).toMatchObject({
      code: 'KEY_STATE_CONFLICT',
      message: 'A revoked key cannot be updated',
      reason: 'revoked',
    })
    expect(
      await codeOf(() =>
        f.auth.updateKey({
          userId: 'u1',
          keyId: '00000000-0000-4000-8000-000000000000',
          name: 'x',
        }),
      ),
    ).toBe('KEY_NOT_FOUND')
    await f.auth.close()
  })

  it('a store without update is NOT_SUPPORTED', async () => {
    const memory = new MemoryKeyStore()
    const store: KeyStore = {
      insert: (r) => memory.insert(r),
      findByHash: (h) => memory.findByHash(h),
      listByUser: (u) => memory.listByUser(u),
      revoke: (k, u, at) => memory.revoke(k, u, at),
    }
    const auth = createApiKeyAuth({ store, logger: false })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    expect(await codeOf(() => auth.updateKey({ userId: 'u1', keyId: id, name: 'x' }))).toBe(
      'NOT_SUPPORTED',
    )
    // Before anything else: not a missing key, not a widening.
    expect(
      await codeOf(() =>
        auth.updateKey({ userId: 'u1', keyId: '00000000-0000-4000-8000-000000000000', name: 'x' }),
      ),
    ).toBe('NOT_SUPPORTED')
    expect(
      await codeOf(() => auth.updateKey({ userId: 'u1', keyId: id, scopes: ['jobs:read'] })),
    ).toBe('NOT_SUPPORTED')
    await auth.close()
  })
})

// A memory store whose `update` answers as told (a conflict every time, or no such key),
// counting the calls; everything else is the memory store's.
class ScriptedUpdateStore extends MemoryKeyStore {
  calls = 0
  constructor(private readonly answer: 'conflict' | 'missing') {
    super()
  }
  override async update(...args: Parameters<MemoryKeyStore['update']>) {
    this.calls++
    if (this.answer === 'missing') return null
    const current = this.snapshot().find((r) => r.id === args[0])
    if (current === undefined) throw new Error('no record')
    await Promise.resolve()
    return { ok: false as const, reason: 'conflict' as const, current }
  }
}

describe('updateKey against a store that answers conflict or null', () => {
  it('retries a conflict five times, then answers 409 update_contention', async () => {
    const store = new ScriptedUpdateStore('conflict')
    const auth = createApiKeyAuth({ store, logger: false })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    expect(
      await errorOf(() => auth.updateKey({ userId: 'u1', keyId: id, name: 'x' })),
    ).toMatchObject({
      code: 'KEY_STATE_CONFLICT',
      message: 'The key is being updated concurrently; try again',
      reason: 'update_contention',
    })
    expect(store.calls).toBe(5)
    await auth.close()
  })

  it('a store answering null (the key went away) is KEY_NOT_FOUND, after one call', async () => {
    const store = new ScriptedUpdateStore('missing')
    const auth = createApiKeyAuth({ store, logger: false })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    expect(await codeOf(() => auth.updateKey({ userId: 'u1', keyId: id, name: 'x' }))).toBe(
      'KEY_NOT_FOUND',
    )
    expect(store.calls).toBe(1)
    await auth.close()
  })
})

describe('updateKey: what it records and checks', () => {
  it('writes one "updated" audit record per successful update', async () => {
    const auditStore = new MemoryAuditStore()
    const auth = createApiKeyAuth({ store: new MemoryKeyStore(), auditStore, logger: false })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k', scopes: ['a:*'] })
    registerKey(key)
    await auth.updateKey({ userId: 'u1', keyId: id, name: 'renamed', scopes: ['a:read'] })
    const { events } = await auth.listEvents({ userId: 'u1', keyId: id })
    expect(events.map((e) => e.action)).toEqual(['updated', 'created'])
    await auth.close()
  })

  it('a key without expiry may get any future expiry', async () => {
    const f = await fixture()
    const far = new Date(f.clock.time + 3650 * DAY)
    expect(
      (await f.auth.updateKey({ userId: 'u1', keyId: f.id, expiresAt: far })).expiresAt,
    ).toEqual(far)
    await f.auth.close()
  })

  it('names every scope outside the registry, comma-separated', async () => {
    const f = await fixture(['models:*'])
    expect(await f.issuesOf({ scopes: ['models:admin', 'models:delete'] })).toEqual([
      { path: ['scopes'], message: 'not in the scope registry: "models:admin", "models:delete"' },
    ])
    await f.auth.close()
  })

  it('reads no fields off a non-object input (a function with a name)', async () => {
    const f = await fixture()
    function named(): void {}
    const err = (await errorOf(() => f.auth.updateKey(named as never))) as AuthError
    expect(err.code).toBe('VALIDATION_ERROR')
    expect(err.issues).toEqual([
      { path: [], message: 'nothing to update: give name, metadata, scopes, expiresAt or limits' },
    ])
    await f.auth.close()
  })
})

describe('updateKey: limitsNarrowOnly without limits', () => {
  it('checks nothing about limits when the patch does not touch them', async () => {
    const auth = createApiKeyAuth({ store: new MemoryKeyStore(), logger: false })
    const { id, key } = await auth.createKey({
      userId: 'u1',
      name: 'k',
      limits: { rate: [{ name: 'minute', limit: 5, windowMs: 60_000 }] },
    })
    registerKey(key)
    const info = await auth.updateKey({
      userId: 'u1',
      keyId: id,
      name: 'x',
      limitsNarrowOnly: true,
    })
    expect([info.name, info.limits]).toEqual([
      'x',
      { rate: [{ name: 'minute', limit: 5, windowMs: 60_000 }] },
    ])
    await auth.close()
  })
})

describe('updateKey: what the store receives', () => {
  // A memory store that keeps what `update` was given, and that can change the key's limits
  // just before the first update (a concurrent plan downgrade), and takes the audit records
  // itself (it is also the audit store).
  class InspectingStore extends MemoryKeyStore implements AuditStore {
    readonly patches: KeyUpdatePatch[] = []
    readonly audits: (readonly string[] | undefined)[] = []
    readonly log = new MemoryAuditStore()
    downgradeFirst = false
    override async update(
      keyId: string,
      userId: string,
      patch: KeyUpdatePatch,
      expected: KeyUpdateExpectation,
      audit?: AuditWrite,
    ) {
      this.patches.push(patch)
      this.audits.push(audit?.map((r) => r.action))
      if (this.downgradeFirst) {
        this.downgradeFirst = false
        const current = this.snapshot().find((r) => r.id === keyId)
        if (current === undefined) throw new Error('no record')
        const limits = { rate: [{ name: 'minute', limit: 2, windowMs: 60_000 }] }
        await super.update(keyId, userId, { limits }, { scopes: current.scopes, expiresAt: null })
      }
      const result = await super.update(keyId, userId, patch, expected)
      if (result?.ok === true && audit !== undefined) await this.log.appendAudit(audit)
      return result
    }
    appendAudit(): Promise<void> {
      throw new Error('the service must not append separately')
    }
    listAudit(query: Parameters<AuditStore['listAudit']>[0]): Promise<AuditRecord[]> {
      return this.log.listAudit(query)
    }
  }

  async function setup() {
    const store = new InspectingStore()
    const auth = createApiKeyAuth({ store, auditStore: store, logger: false })
    const { id, key } = await auth.createKey({
      userId: 'u1',
      name: 'k',
      limits: { rate: [{ name: 'minute', limit: 5, windowMs: 60_000 }] },
    })
    registerKey(key)
    return { store, auth, id }
  }

  it('hands the audit record to a store that is also the audit store', async () => {
    const { store, auth, id } = await setup()
    await auth.updateKey({ userId: 'u1', keyId: id, name: 'x' })
    expect(store.audits).toEqual([['updated']])
    expect((await auth.listEvents({ userId: 'u1', keyId: id })).events[0]?.action).toBe('updated')
    await auth.close()
  })

  it('gives the store detached metadata and frozen limits, not the caller objects', async () => {
    const { store, auth, id } = await setup()
    const metadata = { team: { name: 'ml' } }
    const limits = { rate: [{ name: 'minute', limit: 3, windowMs: 60_000 }] }
    await auth.updateKey({ userId: 'u1', keyId: id, metadata, limits })
    metadata.team.name = 'changed'
    const patch = store.patches[0]
    expect(patch?.metadata).toEqual({ team: { name: 'ml' } })
    expect(patch?.limits).toEqual(limits)
    expect(Object.isFrozen(patch?.limits?.rate?.[0])).toBe(true)
    await auth.close()
  })

  it('a name change with limitsNarrowOnly does not conflict with a concurrent limits change', async () => {
    const { store, auth, id } = await setup()
    store.downgradeFirst = true
    const info = await auth.updateKey({
      userId: 'u1',
      keyId: id,
      name: 'x',
      limitsNarrowOnly: true,
    })
    expect(store.patches).toHaveLength(1)
    expect([info.name, info.limits]).toEqual([
      'x',
      { rate: [{ name: 'minute', limit: 2, windowMs: 60_000 }] },
    ])
    await auth.close()
  })

  it('accepts an ISO date-time with an offset', async () => {
    const { auth, id } = await setup()
    const info = await auth.updateKey({
      userId: 'u1',
      keyId: id,
      expiresAt: '2999-01-01T12:00:00+02:00',
    })
    expect(info.expiresAt).toEqual(new Date('2999-01-01T10:00:00Z'))
    await auth.close()
  })
})
