/**
 * `updateKey` (`src/service/key-update.ts`), written against surviving mutants (docs/testing.md,
 * mutation testing): its validation errors, the narrowing rules for scopes and expiry at their
 * boundaries, a revoked key, scopes outside the registry, stores that cannot update, and what a
 * successful update stores.
 */
import { describe, expect, it } from 'vitest'
import { type AuthError, createApiKeyAuth, type KeyStore, MemoryKeyStore } from '../../src/index.js'
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
    await auth.close()
  })
})
