/**
 * `@vydra/auth/testing`: the conformance suite every {@link KeyStore} should pass.
 *
 * @example
 * ```ts
 * // test/my-store.test.ts
 * import { keyStoreConformance } from '@vydra/auth/testing'
 * keyStoreConformance('my store', () => new MyKeyStore(), { capabilities: { touch: true } })
 * ```
 * @module
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createApiKeyAuth } from '../create-api-key-auth.js'
import { SECRET_LENGTH } from '../api-key.js'
import { hashApiKey } from '../hash.js'
import type { KeyStore } from '../key-store.js'
import { registerPepperRotationCases } from './pepper-rotation-cases.js'
import {
  lifecycleConformance,
  serviceLifecycleConformance,
  type LifecycleCapabilities,
} from './lifecycle.js'
import { comparable, eventually, makeTestRecord, time } from './support.js'

export { makeTestRecord }
export type { LifecycleCapabilities }

/** Options of {@link keyStoreConformance}. */
export interface KeyStoreConformanceOptions<S extends KeyStore> {
  /** Optional methods the store implements; only declared ones are tested. */
  capabilities?: LifecycleCapabilities & {
    /** The store implements `touch`. */
    touch?: boolean
    /** The store implements `onRevoke`. */
    onRevoke?: boolean
    /** The store implements `findByHashes`, `rehash` and `countDigestVersions` (0.2). */
    pepperRotation?: boolean
  }
  /**
   * Back door: everything the store persisted for these tests, in any serializable form (rows,
   * hashes, documents). Used to prove that no key or secret is ever stored.
   */
  dump?: (store: S) => Promise<unknown> | unknown
  /** Called after each test with the store it used (close connections, drop tables…). */
  cleanup?: (store: S) => Promise<void> | void
  /** How long a revocation may take to reach `onRevoke` listeners. @defaultValue `2000` */
  revokeDeliveryTimeoutMs?: number
  /** Keys of one owner in the large `listPage` case. @defaultValue `10000` */
  largeListSize?: number
}

/**
 * Registers the `KeyStore` conformance tests with vitest. Each test gets a fresh store from
 * `makeStore`, so tests run alone and in any order. Call it at the top level of a vitest file.
 *
 * @example
 * ```ts
 * keyStoreConformance('PostgresKeyStore', () => new PostgresKeyStore(pool, { table: uniqueTable() }), {
 *   capabilities: { touch: true, onRevoke: true },
 *   cleanup: (store) => store.close(),
 * })
 * ```
 */
export function keyStoreConformance<S extends KeyStore>(
  name: string,
  makeStore: () => S | Promise<S>,
  options: KeyStoreConformanceOptions<S> = {},
): void {
  const capabilities = options.capabilities ?? {}
  const deliveryMs = options.revokeDeliveryTimeoutMs ?? 2_000

  const withStore = (fn: (store: S) => Promise<void>) => async (): Promise<void> => {
    const store = await makeStore()
    try {
      await fn(store)
    } finally {
      await options.cleanup?.(store)
    }
  }

  describe(`KeyStore conformance: ${name}`, () => {
    lifecycleConformance(capabilities, withStore, {
      deliveryMs,
      largeListSize: options.largeListSize ?? 10_000,
    })
    serviceLifecycleConformance(capabilities, withStore, (store) =>
      createApiKeyAuth({ store, cache: false, logger: false }),
    )

    it(
      'insert then findByHash returns the same record',
      withStore(async (store) => {
        const { record } = makeTestRecord({
          name: 'Prod <script>"é"',
          userId: 'org_team-42',
          scopes: ['models:*', 'account:read'],
          expiresAt: new Date(Date.UTC(2027, 5, 1)),
        })
        await store.insert(record)
        expect(comparable(await store.findByHash(record.hash))).toEqual(comparable(record))
      }),
    )

    it(
      "a record's usage limits round trip through insert, findByHash, listByUser and revoke",
      withStore(async (store) => {
        const limits = {
          rate: [
            { name: 'burst', limit: 10, windowMs: 1_000 },
            { name: 'daily', limit: 10_000, windowMs: 86_400_000 },
          ],
          credits: { remaining: 500, refill: { amount: 500, intervalMs: 2_592_000_000 } },
        }
        const { record } = makeTestRecord({ limits })
        const { record: plain } = makeTestRecord({ userId: record.userId })
        await store.insert(record)
        await store.insert(plain)
        expect((await store.findByHash(record.hash))?.limits).toEqual(limits)
        // A key without limits reads back without them: absence must not become a limit.
        expect((await store.findByHash(plain.hash))?.limits ?? null).toBeNull()
        const listed = await store.listByUser(record.userId)
        expect(listed.find((r) => r.id === record.id)?.limits).toEqual(limits)
        const revoked = await store.revoke(record.id, record.userId, new Date())
        expect(revoked?.limits).toEqual(limits)
      }),
    )

    it(
      'findByHash of an unknown digest is null, not an error',
      withStore(async (store) => {
        expect(await store.findByHash(hashApiKey('nothing'))).toBeNull()
        expect(await store.findByHash('')).toBeNull()
      }),
    )

    it(
      'insert rejects a duplicate hash and a duplicate id',
      withStore(async (store) => {
        const { record } = makeTestRecord()
        await store.insert(record)
        // Rejected with an Error, because of the duplicate: the store still works afterwards
        // (not a lost connection), the first record is untouched, and nothing else was stored.
        const { record: sameHash } = makeTestRecord({ hash: record.hash })
        await expect(store.insert(sameHash)).rejects.toBeInstanceOf(Error)
        const { record: sameId } = makeTestRecord({ id: record.id })
        await expect(store.insert(sameId)).rejects.toBeInstanceOf(Error)
        expect(comparable(await store.findByHash(record.hash))).toEqual(comparable(record))
        expect(await store.findByHash(sameId.hash)).toBeNull()
        expect(await store.listByUser(sameHash.userId)).toEqual([])
        expect(await store.listByUser(sameId.userId)).toEqual([])
        const { record: fresh } = makeTestRecord()
        await expect(store.insert(fresh)).resolves.toBeUndefined()
        expect((await store.findByHash(fresh.hash))?.id).toBe(fresh.id)
      }),
    )

    it(
      'listByUser returns only that user’s records, revoked ones included',
      withStore(async (store) => {
        const a1 = makeTestRecord({ userId: 'user_a' }).record
        const a2 = makeTestRecord({
          userId: 'user_a',
          createdAt: new Date(Date.UTC(2026, 1, 1)),
        }).record
        const b1 = makeTestRecord({ userId: 'user_b' }).record
        for (const r of [a1, a2, b1]) await store.insert(r)
        await store.revoke(a2.id, 'user_a', new Date(Date.UTC(2026, 2, 1)))
        const listed = await store.listByUser('user_a')
        expect(listed.map((r) => r.id).sort()).toEqual([a1.id, a2.id].sort())
        expect(time(listed.find((r) => r.id === a2.id)?.revokedAt)).toBe(Date.UTC(2026, 2, 1))
        expect((await store.listByUser('user_b')).map((r) => r.id)).toEqual([b1.id])
        expect(await store.listByUser('user_nobody')).toEqual([])
        // A prefix of a user id is another user.
        expect(await store.listByUser('user')).toEqual([])
      }),
    )

    it(
      'revoke by the owner sets revokedAt and returns the record',
      withStore(async (store) => {
        const { record } = makeTestRecord()
        await store.insert(record)
        const at = new Date(Date.UTC(2026, 3, 1, 8, 30))
        const revoked = await store.revoke(record.id, record.userId, at)
        expect(comparable(revoked)).toEqual(comparable({ ...record, revokedAt: at }))
        expect(time((await store.findByHash(record.hash))?.revokedAt)).toBe(at.getTime())
      }),
    )

    it(
      'revoke by another user returns null and changes nothing',
      withStore(async (store) => {
        const { record } = makeTestRecord({ userId: 'owner_1' })
        await store.insert(record)
        expect(await store.revoke(record.id, 'intruder_1', new Date())).toBeNull()
        expect((await store.findByHash(record.hash))?.revokedAt).toBeNull()
      }),
    )

    it(
      'revoke of an unknown id returns null',
      withStore(async (store) => {
        expect(await store.revoke(randomUUID(), 'someone', new Date())).toBeNull()
      }),
    )

    it(
      'revoking twice keeps the first revokedAt',
      withStore(async (store) => {
        const { record } = makeTestRecord()
        await store.insert(record)
        const first = new Date(Date.UTC(2026, 4, 1))
        await store.revoke(record.id, record.userId, first)
        const second = await store.revoke(record.id, record.userId, new Date(Date.UTC(2026, 5, 1)))
        expect(time(second?.revokedAt)).toBe(first.getTime())
      }),
    )

    it(
      'concurrent revokes agree on one revokedAt',
      withStore(async (store) => {
        const { record } = makeTestRecord()
        await store.insert(record)
        const ats = Array.from({ length: 20 }, (_, i) => new Date(Date.UTC(2026, 6, 1) + i * 1000))
        const results = await Promise.all(
          ats.map((at) => store.revoke(record.id, record.userId, at)),
        )
        const seen = new Set(results.map((r) => time(r?.revokedAt)))
        expect(seen.size).toBe(1)
        const [only] = [...seen]
        expect(ats.map((a) => a.getTime())).toContain(only)
        expect(time((await store.findByHash(record.hash))?.revokedAt)).toBe(only)
      }),
    )

    it(
      'returned records are copies: mutating one changes nothing stored',
      withStore(async (store) => {
        const { record } = makeTestRecord()
        await store.insert(record)
        record.scopes.push('*')
        const found = await store.findByHash(record.hash)
        expect(found?.scopes).toEqual(['models:read'])
        found?.scopes.push('*')
        expect((await store.findByHash(record.hash))?.scopes).toEqual(['models:read'])
      }),
    )

    it(
      '100 parallel inserts are all kept, none duplicated',
      withStore(async (store) => {
        const records = Array.from(
          { length: 100 },
          () => makeTestRecord({ userId: 'bulk_user' }).record,
        )
        await Promise.all(records.map((r) => store.insert(r)))
        const listed = await store.listByUser('bulk_user')
        expect(listed).toHaveLength(100)
        expect(new Set(listed.map((r) => r.id)).size).toBe(100)
        const found = await Promise.all(records.map((r) => store.findByHash(r.hash)))
        expect(found.every((r, i) => r?.id === records[i]?.id)).toBe(true)
      }),
    )

    it(
      'never stores a key or its secret (keys created through createApiKeyAuth)',
      withStore(async (store) => {
        const auth = createApiKeyAuth({ store, cache: false, logger: false })
        const created = await auth.createKey({
          userId: 'secret_user',
          name: 'k',
          expiresInDays: 30,
        })
        const random = created.key.slice(created.key.length - SECRET_LENGTH)
        const stored = await store.findByHash(hashApiKey(created.key))
        const listed = await store.listByUser('secret_user')
        const dumped = options.dump === undefined ? null : await options.dump(store)
        const text = JSON.stringify({ stored, listed, dumped })
        expect(stored?.id).toBe(created.id)
        for (let i = 0; i + 8 <= random.length; i++) {
          expect(text.includes(random.slice(i, i + 8))).toBe(false)
        }
        expect(text.includes(created.key)).toBe(false)
      }),
    )

    if (capabilities.touch === true) {
      it(
        'touch sets lastUsedAt and never moves it back',
        withStore(async (store) => {
          expect(typeof store.touch).toBe('function')
          const { record } = makeTestRecord()
          await store.insert(record)
          const later = new Date(Date.UTC(2026, 7, 2))
          await store.touch?.(record.id, later)
          expect(time((await store.findByHash(record.hash))?.lastUsedAt)).toBe(later.getTime())
          await store.touch?.(record.id, new Date(Date.UTC(2026, 7, 1)))
          expect(time((await store.findByHash(record.hash))?.lastUsedAt)).toBe(later.getTime())
          await expect(store.touch?.(randomUUID(), later)).resolves.toBeUndefined()
        }),
      )
    }

    if (capabilities.pepperRotation === true) {
      registerPepperRotationCases(withStore, {
        makeRecord: makeTestRecord,
        deliveryMs,
        onRevoke: capabilities.onRevoke === true,
        eventually,
      })
    }

    if (capabilities.onRevoke === true) {
      it(
        'onRevoke delivers the hash of a revoked key, and stops after unsubscribe',
        withStore(async (store) => {
          expect(typeof store.onRevoke).toBe('function')
          const heard: string[] = []
          const unsubscribe = store.onRevoke?.((hash) => heard.push(hash)) ?? (() => {})
          try {
            const { record } = makeTestRecord()
            const { record: other } = makeTestRecord()
            await store.insert(record)
            await store.insert(other)
            // A subscription-based store is listening once a revocation reaches the listener.
            const { record: warm } = makeTestRecord()
            await store.insert(warm)
            await store.revoke(warm.id, warm.userId, new Date())
            expect(await eventually(() => heard.includes(warm.hash), deliveryMs)).toBe(true)
            expect(await store.revoke(other.id, 'not_the_owner', new Date())).toBeNull()
            await store.revoke(record.id, record.userId, new Date())
            expect(await eventually(() => heard.includes(record.hash), deliveryMs)).toBe(true)
            expect(heard).not.toContain(other.hash)
          } finally {
            unsubscribe()
          }
          // After unsubscribing: a listener still subscribed hears the next revocation, and by
          // then the unsubscribed one would have heard it too.
          const still: string[] = []
          const stop = store.onRevoke?.((hash) => still.push(hash)) ?? (() => {})
          try {
            const { record: ready } = makeTestRecord()
            await store.insert(ready)
            await store.revoke(ready.id, ready.userId, new Date())
            expect(await eventually(() => still.includes(ready.hash), deliveryMs)).toBe(true)
            const { record: after } = makeTestRecord()
            await store.insert(after)
            await store.revoke(after.id, after.userId, new Date())
            expect(await eventually(() => still.includes(after.hash), deliveryMs)).toBe(true)
            expect(heard).not.toContain(after.hash)
            expect(heard).not.toContain(ready.hash)
          } finally {
            stop()
          }
        }),
      )
    }
  })
}

export { limitStoreConformance } from './limit-store-conformance.js'
export type { LimitStoreConformanceOptions } from './limit-store-conformance.js'
export { auditStoreConformance, makeAuditRecord } from './audit-store-conformance.js'
export type { AuditStoreConformanceOptions } from './audit-store-conformance.js'
