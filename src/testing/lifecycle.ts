/**
 * The conformance cases of the 0.2 lifecycle methods of the store port: roll, startRollGrace,
 * setDisabled, update, listPage, insertCapped, onInvalidate. Each runs only when the store
 * declares the capability; concurrency is part of every contract.
 * @module
 */
import { randomUUID } from 'node:crypto'
import { expect, it } from 'vitest'
import { generateApiKey, SECRET_LENGTH } from '../api-key.js'
import { hashApiKey } from '../hash.js'
import type { ApiKeyAuth } from '../create-api-key-auth.js'
import type { KeyPageQuery, KeyRollRequest, KeyStore } from '../key-store.js'
import type { ApiKeyRecord } from '../types.js'
import { eventually, makeTestRecord, time } from './support.js'

/** The optional 0.2 methods a store declares, so that the kit tests them. */
export interface LifecycleCapabilities {
  /** The store implements `roll`. */
  roll?: boolean
  /** The store implements `startRollGrace` (needed for `graceStarts: 'firstUse'`). */
  startRollGrace?: boolean
  /** The store implements `setDisabled`. */
  setDisabled?: boolean
  /** The store implements `update`. */
  update?: boolean
  /** The store implements `listPage`. */
  listPage?: boolean
  /** The store implements `insertCapped`. */
  insertCapped?: boolean
  /** The store implements `onInvalidate`. */
  onInvalidate?: boolean
  /** The store keeps `revoke`'s `reason` as `revokedReason`. */
  revokeReason?: boolean
  /** The store keeps the 0.2 record fields (and unknown ones) through insert and find. */
  lifecycleFields?: boolean
}

/** How the lifecycle cases run a test with a fresh store. */
export type WithStore<S extends KeyStore> = (fn: (store: S) => Promise<void>) => () => Promise<void>

/** Options the lifecycle cases read. */
export interface LifecycleCaseOptions {
  /** How long an invalidation may take to reach `onInvalidate` listeners. */
  deliveryMs: number
  /** Keys of one owner in the large pagination case. */
  largeListSize: number
}

const T0 = Date.UTC(2026, 0, 10, 12)
const HOUR = 3_600_000

/** A roll request of `record` at `at` with a fresh identity for the new key. */
export function rollRequest(
  record: ApiKeyRecord,
  at: number,
  graceMs: number,
  graceStarts: 'now' | 'firstUse' = 'now',
): KeyRollRequest {
  const key = generateApiKey(record.userId.replace(/^(org|svc):/, ''))
  return {
    keyId: record.id,
    userId: record.userId,
    next: {
      id: randomUUID(),
      hash: hashApiKey(key),
      keyPrefix: `${key.slice(0, key.length - SECRET_LENGTH + 4)}...`,
      createdAt: new Date(at),
      createdBy: 'actor_1',
    },
    at: new Date(at),
    graceMs,
    graceStarts,
  }
}

/** Registers the lifecycle cases the store declares (inside the kit's `describe`). */
export function lifecycleConformance<S extends KeyStore>(
  capabilities: LifecycleCapabilities,
  withStore: WithStore<S>,
  options: LifecycleCaseOptions,
): void {
  if (capabilities.lifecycleFields === true) fieldCases(withStore)
  if (capabilities.roll === true) rollCases(withStore, capabilities)
  if (capabilities.roll === true && capabilities.startRollGrace === true) firstUseCases(withStore)
  if (capabilities.setDisabled === true) disableCases(withStore)
  if (capabilities.update === true) updateCases(withStore)
  if (capabilities.listPage === true) pageCases(withStore, options.largeListSize)
  if (capabilities.insertCapped === true) capCases(withStore)
  if (capabilities.onInvalidate === true) invalidateCases(withStore, capabilities, options)
  if (capabilities.revokeReason === true) reasonCases(withStore)
}

const insertAll = async (store: KeyStore, records: ApiKeyRecord[]): Promise<void> => {
  for (const record of records) await store.insert(record)
}

function rollCases<S extends KeyStore>(withStore: WithStore<S>, caps: LifecycleCapabilities): void {
  it(
    'roll copies the whole record (unknown fields included) to a new key and starts the grace',
    withStore(async (store) => {
      const { record } = makeTestRecord({
        name: 'deploy',
        scopes: ['models:read', 'jobs:*'],
        expiresAt: new Date(T0 + 48 * HOUR),
        metadata: { plan: 'pro', tags: ['a', { b: 1 }] },
        ownerType: 'user',
        lastUsedAt: new Date(T0 - HOUR),
      })
      // Usage limits (issue 12) are copied to the successor as they are.
      const limits = { rate: [{ name: 'rpm', limit: 60, windowMs: 60_000 }] }
      const withLimits: ApiKeyRecord = { ...record, limits }
      await store.insert(withLimits)
      const request = rollRequest(record, T0, 2 * HOUR)
      const result = await store.roll?.(request)
      expect(result?.ok).toBe(true)
      if (result?.ok !== true) return
      const { next, previous } = result
      expect(next).toMatchObject({
        id: request.next.id,
        hash: request.next.hash,
        keyPrefix: request.next.keyPrefix,
        userId: record.userId,
        name: 'deploy',
        scopes: ['models:read', 'jobs:*'],
        metadata: { plan: 'pro', tags: ['a', { b: 1 }] },
        createdBy: 'actor_1',
        rolledFrom: record.id,
        limits,
      })
      expect(time(next.createdAt)).toBe(T0)
      expect(time(next.expiresAt)).toBe(T0 + 48 * HOUR)
      for (const field of ['lastUsedAt', 'revokedAt', 'disabledAt', 'graceEndsAt'] as const) {
        expect(next[field] ?? null).toBeNull()
      }
      expect(next.replacedBy ?? null).toBeNull()
      expect(next.firstUseGraceMs ?? null).toBeNull()
      expect(previous.replacedBy).toBe(request.next.id)
      expect(time(previous.graceEndsAt)).toBe(T0 + 2 * HOUR)
      expect(previous.revokedAt).toBeNull()
      expect(result.ended).toBeNull()
      const stored = await store.findByHash(request.next.hash)
      expect(stored?.id).toBe(request.next.id)
      expect(stored?.limits).toEqual(limits)
      expect((await store.findByHash(record.hash))?.replacedBy).toBe(request.next.id)
    }),
  )

  it(
    'roll: the grace never outlives the old key’s own expiry; grace 0 revokes it as rotated',
    withStore(async (store) => {
      const { record: soon } = makeTestRecord({ expiresAt: new Date(T0 + HOUR) })
      const { record: now } = makeTestRecord()
      await insertAll(store, [soon, now])
      const capped = await store.roll?.(rollRequest(soon, T0, 24 * HOUR))
      expect(capped?.ok === true && time(capped.previous.graceEndsAt)).toBe(T0 + HOUR)
      const immediate = await store.roll?.(rollRequest(now, T0, 0))
      expect(immediate?.ok).toBe(true)
      if (immediate?.ok !== true) return
      expect(time(immediate.previous.revokedAt)).toBe(T0)
      expect(immediate.previous.revokedReason).toBe('rotated')
      expect(time((await store.findByHash(now.hash))?.revokedAt)).toBe(T0)
    }),
  )

  it(
    'roll refuses revoked, expired and replaced keys, and other owners’ keys, changing nothing',
    withStore(async (store) => {
      const { record: revoked } = makeTestRecord()
      const { record: expired } = makeTestRecord({ expiresAt: new Date(T0) })
      const { record: live } = makeTestRecord({ userId: 'roll_owner' })
      await insertAll(store, [revoked, expired, live])
      await store.revoke(revoked.id, revoked.userId, new Date(T0 - 1))
      const r1 = await store.roll?.(rollRequest(revoked, T0, HOUR))
      expect(r1).toMatchObject({ ok: false, reason: 'revoked' })
      const r2 = await store.roll?.(rollRequest(expired, T0, HOUR))
      expect(r2).toMatchObject({ ok: false, reason: 'expired' })
      expect(r2?.ok === false && r2.current.id).toBe(expired.id)
      expect(await store.roll?.({ ...rollRequest(live, T0, HOUR), userId: 'intruder' })).toBeNull()
      expect(await store.roll?.({ ...rollRequest(live, T0, HOUR), keyId: randomUUID() })).toBeNull()
      const first = rollRequest(live, T0, HOUR)
      expect((await store.roll?.(first))?.ok).toBe(true)
      const again = rollRequest(live, T0 + 1, HOUR)
      expect(await store.roll?.(again)).toMatchObject({ ok: false, reason: 'replaced' })
      for (const refused of [again]) {
        expect(await store.findByHash(refused.next.hash)).toBeNull()
      }
      expect((await store.listByUser('roll_owner')).length).toBe(2)
    }),
  )

  if (caps.setDisabled === true) {
    it(
      'roll refuses a disabled key',
      withStore(async (store) => {
        const { record } = makeTestRecord()
        await store.insert(record)
        await store.setDisabled?.(record.id, record.userId, new Date(T0 - 1))
        const request = rollRequest(record, T0, HOUR)
        expect(await store.roll?.(request)).toMatchObject({ ok: false, reason: 'disabled' })
        expect(await store.findByHash(request.next.hash)).toBeNull()
      }),
    )
  }

  it(
    'rolling the new key within the grace ends the first key’s grace at once',
    withStore(async (store) => {
      const { record: a } = makeTestRecord()
      await store.insert(a)
      const toB = rollRequest(a, T0, 10 * HOUR)
      const first = await store.roll?.(toB)
      if (first?.ok !== true) throw new Error('first roll refused')
      const toC = rollRequest(first.next, T0 + HOUR, 10 * HOUR)
      const second = await store.roll?.(toC)
      expect(second?.ok).toBe(true)
      if (second?.ok !== true) return
      expect(second.ended?.id).toBe(a.id)
      expect(time(second.ended?.graceEndsAt)).toBe(T0 + HOUR)
      expect(time((await store.findByHash(a.hash))?.graceEndsAt)).toBe(T0 + HOUR)
      expect(time(second.previous.graceEndsAt)).toBe(T0 + 11 * HOUR)
      expect(second.next.rolledFrom).toBe(first.next.id)
    }),
  )

  it(
    'roll with a duplicate new hash rejects and changes nothing',
    withStore(async (store) => {
      const { record } = makeTestRecord()
      const { record: other } = makeTestRecord()
      await insertAll(store, [record, other])
      const request = rollRequest(record, T0, HOUR)
      request.next.hash = other.hash
      await expect(store.roll?.(request)).rejects.toBeInstanceOf(Error)
      const stored = await store.findByHash(record.hash)
      expect(stored?.replacedBy ?? null).toBeNull()
      expect(stored?.graceEndsAt ?? null).toBeNull()
    }),
  )

  it(
    'two rolls of one key at once: exactly one succeeds, the other is refused as replaced',
    withStore(async (store) => {
      const { record } = makeTestRecord({ userId: 'race_roll' })
      await store.insert(record)
      const requests = Array.from({ length: 8 }, () => rollRequest(record, T0, HOUR))
      const results = await Promise.all(requests.map((r) => store.roll?.(r)))
      const won = results.filter((r) => r?.ok === true)
      expect(won).toHaveLength(1)
      expect(results.filter((r) => r?.ok === false && r.reason === 'replaced')).toHaveLength(7)
      expect(await store.listByUser('race_roll')).toHaveLength(2)
      const winner = won[0]
      expect((await store.findByHash(record.hash))?.replacedBy).toBe(
        winner?.ok === true ? winner.next.id : 'none',
      )
    }),
  )

  it(
    'roll against revoke: the old key ends revoked either way, and a roll never revives it',
    withStore(async (store) => {
      for (let round = 0; round < 5; round++) {
        const { record } = makeTestRecord()
        await store.insert(record)
        const request = rollRequest(record, T0, HOUR)
        const [rolled] = await Promise.all([
          store.roll?.(request),
          store.revoke(record.id, record.userId, new Date(T0)),
        ])
        const old = await store.findByHash(record.hash)
        expect(time(old?.revokedAt)).toBe(T0)
        const next = await store.findByHash(request.next.hash)
        if (rolled?.ok === true) expect(next?.id).toBe(request.next.id)
        else {
          expect(rolled).toMatchObject({ ok: false, reason: 'revoked' })
          expect(next).toBeNull()
        }
      }
    }),
  )
}

function firstUseCases<S extends KeyStore>(withStore: WithStore<S>): void {
  it(
    'firstUse: the old key keeps working until the new one is first used, then gets the grace',
    withStore(async (store) => {
      const { record } = makeTestRecord({ expiresAt: new Date(T0 + 100 * HOUR) })
      await store.insert(record)
      const request = rollRequest(record, T0, 3 * HOUR, 'firstUse')
      const rolled = await store.roll?.(request)
      if (rolled?.ok !== true) throw new Error('roll refused')
      expect(rolled.previous.graceEndsAt ?? null).toBeNull()
      expect(rolled.next.firstUseGraceMs).toBe(3 * HOUR)
      const started = await store.startRollGrace?.(request.next.id, new Date(T0 + 5 * HOUR))
      expect(started?.id).toBe(record.id)
      expect(time(started?.graceEndsAt)).toBe(T0 + 8 * HOUR)
      expect((await store.findByHash(request.next.hash))?.firstUseGraceMs ?? null).toBeNull()
      // Later uses change nothing.
      const later = await store.startRollGrace?.(request.next.id, new Date(T0 + 9 * HOUR))
      expect(time(later?.graceEndsAt)).toBe(T0 + 8 * HOUR)
      expect(await store.startRollGrace?.(record.id, new Date(T0))).toBeNull()
      expect(await store.startRollGrace?.(randomUUID(), new Date(T0))).toBeNull()
    }),
  )

  it(
    'firstUse: the grace is capped by the old key’s expiry',
    withStore(async (store) => {
      const { record } = makeTestRecord({ expiresAt: new Date(T0 + 2 * HOUR) })
      await store.insert(record)
      const request = rollRequest(record, T0, 10 * HOUR, 'firstUse')
      await store.roll?.(request)
      const started = await store.startRollGrace?.(request.next.id, new Date(T0 + HOUR))
      expect(time(started?.graceEndsAt)).toBe(T0 + 2 * HOUR)
    }),
  )

  it(
    'firstUse race: 10 instances starting the grace at once agree on one end',
    withStore(async (store) => {
      const { record } = makeTestRecord()
      await store.insert(record)
      const request = rollRequest(record, T0, HOUR, 'firstUse')
      await store.roll?.(request)
      const ats = Array.from({ length: 10 }, (_, i) => new Date(T0 + (i + 1) * 1000))
      const results = await Promise.all(
        ats.map((at) => store.startRollGrace?.(request.next.id, at)),
      )
      const ends = new Set(results.map((r) => time(r?.graceEndsAt)))
      expect(ends.size).toBe(1)
      const [end] = [...ends]
      expect(ats.map((at) => at.getTime() + HOUR)).toContain(end)
      expect(time((await store.findByHash(record.hash))?.graceEndsAt)).toBe(end)
    }),
  )

  it(
    'firstUse then a second roll before any use ends the first key’s grace at once',
    withStore(async (store) => {
      const { record: a } = makeTestRecord()
      await store.insert(a)
      const toB = rollRequest(a, T0, HOUR, 'firstUse')
      const first = await store.roll?.(toB)
      if (first?.ok !== true) throw new Error('roll refused')
      const second = await store.roll?.(rollRequest(first.next, T0 + 10, HOUR))
      expect(second?.ok === true && time(second.ended?.graceEndsAt)).toBe(T0 + 10)
      // B's pending first-use grace is gone: using B later does not restart A's grace.
      expect((await store.findByHash(toB.next.hash))?.firstUseGraceMs ?? null).toBeNull()
      const after = await store.startRollGrace?.(toB.next.id, new Date(T0 + HOUR))
      expect(time(after?.graceEndsAt)).toBe(T0 + 10)
    }),
  )
}

function disableCases<S extends KeyStore>(withStore: WithStore<S>): void {
  it(
    'setDisabled disables (keeping the first time), enables, and checks the owner',
    withStore(async (store) => {
      const { record } = makeTestRecord({ userId: 'disable_owner' })
      await store.insert(record)
      const off = await store.setDisabled?.(record.id, 'disable_owner', new Date(T0))
      expect(time(off?.disabledAt)).toBe(T0)
      const again = await store.setDisabled?.(record.id, 'disable_owner', new Date(T0 + HOUR))
      expect(time(again?.disabledAt)).toBe(T0)
      expect(time((await store.findByHash(record.hash))?.disabledAt)).toBe(T0)
      expect(await store.setDisabled?.(record.id, 'intruder', null)).toBeNull()
      expect(time((await store.findByHash(record.hash))?.disabledAt)).toBe(T0)
      expect(await store.setDisabled?.(randomUUID(), 'disable_owner', null)).toBeNull()
      const on = await store.setDisabled?.(record.id, 'disable_owner', null)
      expect(on?.disabledAt ?? null).toBeNull()
      expect((await store.findByHash(record.hash))?.disabledAt ?? null).toBeNull()
    }),
  )

  it(
    'setDisabled never changes a revoked record',
    withStore(async (store) => {
      const { record } = makeTestRecord()
      await store.insert(record)
      await store.setDisabled?.(record.id, record.userId, new Date(T0))
      await store.revoke(record.id, record.userId, new Date(T0 + 1))
      const enabled = await store.setDisabled?.(record.id, record.userId, null)
      expect(time(enabled?.disabledAt)).toBe(T0)
      expect(time(enabled?.revokedAt)).toBe(T0 + 1)
    }),
  )

  it(
    'concurrent disables and enables leave one consistent state',
    withStore(async (store) => {
      const { record } = makeTestRecord()
      await store.insert(record)
      const ats = Array.from({ length: 10 }, (_, i) => new Date(T0 + i))
      const results = await Promise.all(
        ats.map((at) => store.setDisabled?.(record.id, record.userId, at)),
      )
      expect(new Set(results.map((r) => time(r?.disabledAt))).size).toBe(1)
    }),
  )
}

function updateCases<S extends KeyStore>(withStore: WithStore<S>): void {
  it(
    'update applies a patch when the expectation holds, and only the given fields',
    withStore(async (store) => {
      const { record } = makeTestRecord({
        userId: 'update_owner',
        scopes: ['a:read', 'b:read'],
        expiresAt: new Date(T0 + 10 * HOUR),
        metadata: { old: true },
      })
      await store.insert(record)
      const expected = { scopes: ['a:read', 'b:read'], expiresAt: new Date(T0 + 10 * HOUR) }
      const result = await store.update?.(
        record.id,
        'update_owner',
        { scopes: ['a:read'], metadata: { fresh: [1, 2] } },
        expected,
      )
      expect(result?.ok).toBe(true)
      const stored = await store.findByHash(record.hash)
      expect(stored?.scopes).toEqual(['a:read'])
      expect(stored?.metadata).toEqual({ fresh: [1, 2] })
      expect(stored?.name).toBe(record.name)
      expect(time(stored?.expiresAt)).toBe(T0 + 10 * HOUR)
      const renamed = await store.update?.(
        record.id,
        'update_owner',
        { name: 'renamed', expiresAt: new Date(T0 + HOUR) },
        { scopes: ['a:read'], expiresAt: new Date(T0 + 10 * HOUR) },
      )
      expect(renamed?.ok === true && renamed.record.name).toBe('renamed')
      expect(time((await store.findByHash(record.hash))?.expiresAt)).toBe(T0 + HOUR)
    }),
  )

  it(
    'update answers conflict when the scopes or expiry moved, null for another owner',
    withStore(async (store) => {
      const { record } = makeTestRecord({ scopes: ['a:read', 'b:read'] })
      await store.insert(record)
      const stale = { scopes: ['a:read'], expiresAt: null }
      const conflict = await store.update?.(record.id, record.userId, { name: 'x' }, stale)
      expect(conflict).toMatchObject({ ok: false, reason: 'conflict' })
      expect(conflict?.ok === false && conflict.current.scopes).toEqual(['a:read', 'b:read'])
      const expected = { scopes: ['a:read', 'b:read'], expiresAt: null }
      expect(await store.update?.(record.id, 'intruder', { name: 'x' }, expected)).toBeNull()
      await store.revoke(record.id, record.userId, new Date(T0))
      expect(await store.update?.(record.id, record.userId, { name: 'x' }, expected)).toMatchObject(
        { ok: false, reason: 'conflict' },
      )
      expect((await store.findByHash(record.hash))?.name).toBe(record.name)
    }),
  )

  it(
    'update with expected limits answers conflict when the stored limits moved, applies when they hold (by value)',
    withStore(async (store) => {
      const { record } = makeTestRecord({ scopes: ['a:read'] })
      const own = { rate: [{ name: 'rpm', limit: 60, windowMs: 60_000 }] }
      await store.insert({ ...record, limits: own } as ApiKeyRecord)
      const base = { scopes: ['a:read'], expiresAt: null }
      const narrower = { rate: [{ name: 'rpm', limit: 30, windowMs: 60_000 }] }
      // Checked against other limits (someone changed them since): nothing is written.
      for (const stale of [null, { rate: [{ name: 'rpm', limit: 90, windowMs: 60_000 }] }]) {
        const conflict = await store.update?.(
          record.id,
          record.userId,
          { limits: narrower },
          { ...base, limits: stale },
        )
        expect(conflict).toMatchObject({ ok: false, reason: 'conflict' })
        expect(conflict?.ok === false && conflict.current.limits).toEqual(own)
        expect((await store.findByHash(record.hash))?.limits).toEqual(own)
      }
      // The same limits, fields in another order: applied.
      const reordered = { rate: [{ windowMs: 60_000, limit: 60, name: 'rpm' }] }
      const applied = await store.update?.(
        record.id,
        record.userId,
        { limits: narrower },
        { ...base, limits: reordered },
      )
      expect(applied?.ok === true && applied.record.limits).toEqual(narrower)
      // A key without limits of its own is expected as null.
      const { record: bare } = makeTestRecord({ scopes: ['a:read'] })
      await store.insert(bare)
      const added = await store.update?.(
        bare.id,
        bare.userId,
        { limits: narrower },
        { ...base, limits: null },
      )
      expect(added?.ok === true && added.record.limits).toEqual(narrower)
    }),
  )

  it(
    "update replaces a key's usage limits, removes them with null, and keeps unknown fields",
    withStore(async (store) => {
      const { record } = makeTestRecord({ scopes: ['a:read'] })
      const withExtra = {
        ...record,
        limits: { rate: [{ name: 'rpm', limit: 60, windowMs: 60_000 }] },
        laterField: { kept: [1, 'two'] },
      } as ApiKeyRecord
      await store.insert(withExtra)
      const expected = { scopes: ['a:read'], expiresAt: null }
      const limits = {
        rate: [
          { name: 'rpm', limit: 30, windowMs: 60_000 },
          { name: 'daily', limit: 1000, windowMs: 86_400_000 },
        ],
        credits: { remaining: 5, refill: { amount: 5, intervalMs: 3_600_000 } },
      }
      const result = await store.update?.(record.id, record.userId, { limits }, expected)
      expect(result?.ok === true && result.record.limits).toEqual(limits)
      const stored = (await store.findByHash(record.hash)) as Record<string, unknown> | null
      expect(stored?.limits).toEqual(limits)
      expect(stored?.laterField).toEqual({ kept: [1, 'two'] })
      expect(stored?.name).toBe(record.name)
      // Read back by listing too (every path that builds a record).
      const listed = (await store.listByUser(record.userId)).find((r) => r.id === record.id)
      expect(listed?.limits).toEqual(limits)
      const cleared = await store.update?.(record.id, record.userId, { limits: null }, expected)
      expect(cleared?.ok).toBe(true)
      const after = (await store.findByHash(record.hash)) as Record<string, unknown> | null
      expect(after?.limits ?? null).toBeNull()
      expect(after?.laterField).toEqual({ kept: [1, 'two'] })
      // A key that never had limits gets them.
      const { record: plain } = makeTestRecord({ scopes: ['a:read'] })
      await store.insert(plain)
      await store.update?.(plain.id, plain.userId, { limits: { rate: [] } }, expected)
      expect((await store.findByHash(plain.hash))?.limits).toEqual({ rate: [] })
    }),
  )

  it(
    'concurrent updates from one expectation: exactly one applies',
    withStore(async (store) => {
      const { record } = makeTestRecord({ scopes: ['a:read', 'b:read', 'c:read'] })
      await store.insert(record)
      const expected = { scopes: ['a:read', 'b:read', 'c:read'], expiresAt: null }
      const patches = [['a:read'], ['b:read'], ['c:read'], ['a:read', 'b:read']]
      const results = await Promise.all(
        patches.map((scopes) => store.update?.(record.id, record.userId, { scopes }, expected)),
      )
      expect(results.filter((r) => r?.ok === true)).toHaveLength(1)
    }),
  )
}

function pageCases<S extends KeyStore>(withStore: WithStore<S>, largeListSize: number): void {
  it(
    'listPage orders by createdAt then id, pages strictly after a position, filters by status',
    withStore(async (store) => {
      const userId = 'page_owner'
      const base = makeTestRecord({ userId }).record.keyPrefix.slice(0, 11)
      const make = (ms: number, fields: Partial<ApiKeyRecord> = {}): ApiKeyRecord =>
        makeTestRecord({ userId, createdAt: new Date(T0 + ms), ...fields }).record
      const records = [
        make(0),
        make(0),
        make(1000, { revokedAt: new Date(T0) }),
        make(2000, { expiresAt: new Date(T0 + 5000) }),
        make(3000, { disabledAt: new Date(T0) }),
        make(4000, { graceEndsAt: new Date(T0 + 5000) }),
        make(5000),
      ]
      await insertAll(store, [...records].reverse())
      await store.insert(makeTestRecord({ userId: 'page_other' }).record)
      const at = new Date(T0 + 6000)
      const query: KeyPageQuery = { limit: 100, after: null, status: 'all', keyPrefix: base, at }
      const all = await store.listPage?.(userId, query)
      const sorted = [...records].sort(
        (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1),
      )
      expect(all?.map((r) => r.id)).toEqual(sorted.map((r) => r.id))
      const ids = async (q: Partial<KeyPageQuery>): Promise<string[] | undefined> =>
        (await store.listPage?.(userId, { ...query, ...q }))?.map((r) => r.id)
      const idOf = (i: number): string => records[i]?.id ?? ''
      expect(await ids({ status: 'revoked' })).toEqual([idOf(2)])
      expect((await ids({ status: 'expired' }))?.sort()).toEqual([idOf(3), idOf(5)].sort())
      expect(await ids({ status: 'disabled' })).toEqual([idOf(4)])
      expect((await ids({ status: 'active' }))?.sort()).toEqual([idOf(0), idOf(1), idOf(6)].sort())
      expect(await ids({ limit: 2 })).toEqual(sorted.slice(0, 2).map((r) => r.id))
      const first = sorted[0]
      if (first === undefined) throw new Error('no records')
      expect(await ids({ after: { createdAt: first.createdAt, id: first.id } })).toEqual(
        sorted.slice(1).map((r) => r.id),
      )
      expect(await ids({ keyPrefix: 'other_live_user_' })).toEqual([])
      expect(await store.listPage?.('nobody', query)).toEqual([])
    }),
  )

  it(
    `listPage walks ${largeListSize} keys of one owner exactly once, in order`,
    withStore(async (store) => {
      const userId = 'page_bulk'
      const { record: template } = makeTestRecord({ userId })
      const records = Array.from({ length: largeListSize }, (_, i) => ({
        ...template,
        id: randomUUID(),
        hash: hashApiKey(`bulk-${i}-${randomUUID()}`),
        scopes: [...template.scopes],
        // Many share a createdAt, so the id decides the order.
        createdAt: new Date(T0 + Math.floor(i / 7) * 1000),
      }))
      for (let i = 0; i < records.length; i += 200) {
        await Promise.all(records.slice(i, i + 200).map((r) => store.insert(r)))
      }
      const seen: string[] = []
      let after: { createdAt: Date; id: string } | null = null
      for (;;) {
        const page: ApiKeyRecord[] =
          (await store.listPage?.(userId, {
            limit: 200,
            after,
            status: 'active',
            keyPrefix: template.keyPrefix.slice(0, 11),
            at: new Date(T0),
          })) ?? []
        seen.push(...page.map((r) => r.id))
        const last = page.at(-1)
        if (page.length < 200 || last === undefined) break
        after = { createdAt: last.createdAt, id: last.id }
      }
      expect(seen).toHaveLength(largeListSize)
      expect(new Set(seen).size).toBe(largeListSize)
      const order = [...records]
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1))
        .map((r) => r.id)
      expect(seen).toEqual(order)
    }),
  )
}

function capCases<S extends KeyStore>(withStore: WithStore<S>): void {
  it(
    'insertCapped holds the cap exactly under 20 concurrent inserts; revoked and expired keys do not count',
    withStore(async (store) => {
      const userId = 'cap_owner'
      const { record: revoked } = makeTestRecord({ userId, revokedAt: new Date(T0 - 1) })
      const { record: expired } = makeTestRecord({ userId, expiresAt: new Date(T0) })
      const { record: graceOver } = makeTestRecord({ userId, graceEndsAt: new Date(T0) })
      const { record: disabled } = makeTestRecord({ userId, disabledAt: new Date(T0) })
      await insertAll(store, [revoked, expired, graceOver, disabled])
      const keyPrefix = disabled.keyPrefix.slice(0, 11)
      const cap = { max: 5, keyPrefix, at: new Date(T0) }
      const candidates = Array.from({ length: 20 }, () => makeTestRecord({ userId }).record)
      const results = await Promise.all(candidates.map((r) => store.insertCapped?.(r, cap)))
      expect(results.filter((r) => r === true)).toHaveLength(4)
      const stored = await store.listByUser(userId)
      expect(stored).toHaveLength(8)
      const refused = candidates.filter((_, i) => results[i] === false)
      for (const r of refused) expect(await store.findByHash(r.hash)).toBeNull()
      // Another prefix is another partition.
      const other = { max: 5, keyPrefix: 'other_live_user_', at: new Date(T0) }
      expect(await store.insertCapped?.(makeTestRecord({ userId }).record, other)).toBe(true)
    }),
  )
}

function invalidateCases<S extends KeyStore>(
  withStore: WithStore<S>,
  caps: LifecycleCapabilities,
  options: LifecycleCaseOptions,
): void {
  it(
    'onInvalidate delivers the hash of every key a write changed, and stops after unsubscribe',
    withStore(async (store) => {
      const heard: string[] = []
      const stop = store.onInvalidate?.((hash) => heard.push(hash)) ?? (() => {})
      const hears = (hash: string): Promise<boolean> =>
        eventually(() => heard.includes(hash), options.deliveryMs)
      try {
        const [a, b, c, d] = Array.from({ length: 4 }, () => makeTestRecord().record)
        if (a === undefined || b === undefined || c === undefined || d === undefined) return
        await insertAll(store, [a, b, c, d])
        // Revoked now, not at T0: a store that subscribes asynchronously (LISTEN on its own
        // connection) may still be connecting, and catches up by replaying recent changes, which
        // a revocation dated in the past is not. Heard, it is listening for what follows.
        await store.revoke(a.id, a.userId, new Date())
        expect(await hears(a.hash)).toBe(true)
        if (caps.setDisabled === true) {
          await store.setDisabled?.(b.id, b.userId, new Date(T0))
          expect(await hears(b.hash)).toBe(true)
          heard.length = 0
          await store.setDisabled?.(b.id, b.userId, null)
          expect(await hears(b.hash)).toBe(true)
        }
        if (caps.update === true) {
          const expected = { scopes: [...c.scopes], expiresAt: null }
          await store.update?.(c.id, c.userId, { scopes: [] }, expected)
          expect(await hears(c.hash)).toBe(true)
        }
        if (caps.roll === true) {
          await store.roll?.(rollRequest(d, T0, HOUR))
          expect(await hears(d.hash)).toBe(true)
        }
      } finally {
        stop()
      }
      const still: string[] = []
      const stop2 = store.onInvalidate?.((hash) => still.push(hash)) ?? (() => {})
      try {
        const { record } = makeTestRecord()
        await store.insert(record)
        await store.revoke(record.id, record.userId, new Date(T0))
        expect(await eventually(() => still.includes(record.hash), options.deliveryMs)).toBe(true)
        expect(heard).not.toContain(record.hash)
      } finally {
        stop2()
      }
    }),
  )
}

function reasonCases<S extends KeyStore>(withStore: WithStore<S>): void {
  it(
    'revoke keeps the first reason as revokedReason',
    withStore(async (store) => {
      const { record } = makeTestRecord()
      const { record: none } = makeTestRecord()
      await insertAll(store, [record, none])
      const revoked = await store.revoke(record.id, record.userId, new Date(T0), 'leaked')
      expect(revoked?.revokedReason).toBe('leaked')
      await store.revoke(record.id, record.userId, new Date(T0 + 1), 'user')
      expect((await store.findByHash(record.hash))?.revokedReason).toBe('leaked')
      await store.revoke(none.id, none.userId, new Date(T0))
      expect((await store.findByHash(none.hash))?.revokedReason ?? null).toBeNull()
    }),
  )
}

function fieldCases<S extends KeyStore>(withStore: WithStore<S>): void {
  it(
    'the 0.2 fields (and a field the store does not know) round-trip through insert and find',
    withStore(async (store) => {
      const { record } = makeTestRecord({
        userId: 'org:acme',
        ownerType: 'org',
        createdBy: 'user_7',
        metadata: { tier: 'gold', nested: { list: [1, 'two', null, true] }, 'é"<': 1.5 },
        disabledAt: new Date(T0 + 1),
        revokedReason: null,
        replacedBy: randomUUID(),
        rolledFrom: randomUUID(),
        graceEndsAt: new Date(T0 + 2),
        firstUseGraceMs: 3_600_000,
      })
      const full: ApiKeyRecord = {
        ...record,
        limits: { rate: [{ name: 'rpm', limit: 10, windowMs: 60_000 }], credits: { remaining: 5 } },
      }
      await store.insert(full)
      const found = (await store.findByHash(record.hash)) as Record<string, unknown> | null
      const want = full as unknown as Record<string, unknown>
      for (const field of [
        'userId',
        'ownerType',
        'createdBy',
        'metadata',
        'replacedBy',
        'rolledFrom',
        'firstUseGraceMs',
        'limits',
      ]) {
        expect([field, found?.[field]]).toEqual([field, want[field]])
      }
      for (const field of ['disabledAt', 'graceEndsAt'] as const) {
        expect([field, time(found?.[field] as Date | null)]).toEqual([field, time(full[field])])
      }
      expect((await store.listByUser('org:acme')).map((r) => r.id)).toEqual([record.id])
      expect(await store.listByUser('acme')).toEqual([])
    }),
  )
}

/**
 * Cases through the service itself (`createApiKeyAuth` over the store, cache off so that every
 * verification reads the store): disable against verify, and the first-use race of N instances.
 */
export function serviceLifecycleConformance<S extends KeyStore>(
  capabilities: LifecycleCapabilities,
  withStore: WithStore<S>,
  makeAuth: (store: S) => ApiKeyAuth,
): void {
  if (capabilities.setDisabled === true) {
    it(
      'disable against verify: once disableKey answered, no verification succeeds',
      withStore(async (store) => {
        const auth = makeAuth(store)
        const { key, id } = await auth.createKey({ userId: 'race_disable', name: 'k' })
        const racing = Array.from({ length: 20 }, () =>
          auth.verifyKey(key).then(
            () => 'ok',
            (error: { code?: string }) => error.code,
          ),
        )
        await auth.disableKey({ userId: 'race_disable', keyId: id })
        const after = await auth.verifyKey(key).then(
          () => 'ok',
          (error: { code?: string }) => error.code,
        )
        expect(after).toBe('KEY_DISABLED')
        for (const outcome of await Promise.all(racing)) {
          expect(['ok', 'KEY_DISABLED']).toContain(outcome)
        }
      }),
    )
  }
  if (capabilities.roll === true) serviceRollCases(withStore, makeAuth)
  if (capabilities.roll === true && capabilities.startRollGrace === true) {
    it(
      'firstUse race: 5 instances verifying the new key at once agree on the old key’s end',
      withStore(async (store) => {
        const instances = Array.from({ length: 5 }, () => makeAuth(store))
        const [first] = instances
        if (first === undefined) return
        const old = await first.createKey({ userId: 'race_first_use', name: 'k' })
        const rolled = await first.rollKey({
          userId: 'race_first_use',
          keyId: old.id,
          gracePeriodMs: HOUR,
          graceStarts: 'firstUse',
        })
        await Promise.all(instances.map((auth) => auth.verifyKey(rolled.key)))
        // The grace starts off the request path: wait (up to 2 s) for the store to hold it.
        const ends = new Set<number | null>()
        for (let i = 0; i < 80 && ends.size === 0; i++) {
          const record = (await store.listByUser('race_first_use')).find((r) => r.id === old.id)
          if (record?.graceEndsAt != null) ends.add(time(record.graceEndsAt))
          else await new Promise((resolve) => setTimeout(resolve, 25))
        }
        expect(ends.size).toBe(1)
        const [end] = [...ends]
        expect(end).not.toBeNull()
        const page = await first.listKeys('race_first_use')
        expect(time(page.find((k) => k.id === old.id)?.graceEndsAt)).toBe(end)
      }),
    )
  }
}

const settle = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'ok',
    (error: { code?: string }) => error.code ?? 'thrown',
  )

// `auth.rollKey` over the store: what the user sees, on every store that declares `roll`.
function serviceRollCases<S extends KeyStore>(
  withStore: WithStore<S>,
  makeAuth: (store: S) => ApiKeyAuth,
): void {
  it(
    'through the service, roll copies name, scopes, metadata, limits and expiry to the new key',
    withStore(async (store) => {
      const auth = makeAuth(store)
      const limits = { rate: [{ name: 'rpm', limit: 60, windowMs: 60_000 }] }
      const old = await auth.createKey({
        userId: 'svc_roll_copy',
        name: 'deploy',
        scopes: ['models:read', 'jobs:read'],
        metadata: { plan: 'pro', tags: ['a', { b: 1 }] },
        limits,
        expiresInDays: 30,
      })
      const rolled = await auth.rollKey({ userId: 'svc_roll_copy', keyId: old.id })
      const before = await auth.verifyKey(old.key)
      const after = await auth.verifyKey(rolled.key)
      expect(after).toMatchObject({
        keyId: rolled.id,
        userId: 'svc_roll_copy',
        name: 'deploy',
        scopes: ['models:read', 'jobs:read'],
        metadata: { plan: 'pro', tags: ['a', { b: 1 }] },
        limits,
      })
      expect(time(after.expiresAt)).toBe(time(before.expiresAt))
      expect(rolled.apiKey).toMatchObject({ rolledFrom: old.id, limits })
    }),
  )

  it(
    'through the service, rolling the first key again within the grace rolls the new key and ends the first one’s grace at once',
    withStore(async (store) => {
      const auth = makeAuth(store)
      const owner = 'svc_roll_twice'
      const first = await auth.createKey({ userId: owner, name: 'k' })
      const second = await auth.rollKey({ userId: owner, keyId: first.id, gracePeriodMs: HOUR })
      expect(await settle(auth.verifyKey(first.key))).toBe('ok')
      const third = await auth.rollKey({ userId: owner, keyId: first.id, gracePeriodMs: HOUR })
      expect(third.apiKey.rolledFrom).toBe(second.id)
      expect(third.previous.id).toBe(second.id)
      expect(await settle(auth.verifyKey(first.key))).toBe('KEY_EXPIRED')
      expect(await settle(auth.verifyKey(second.key))).toBe('ok')
      expect(await settle(auth.verifyKey(third.key))).toBe('ok')
      const listed = await auth.listKeys(owner)
      expect(listed.find((k) => k.id === first.id)).toMatchObject({
        replacedBy: second.id,
        status: 'expired',
      })
      expect(listed.find((k) => k.id === second.id)?.replacedBy).toBe(third.id)
    }),
  )
}
