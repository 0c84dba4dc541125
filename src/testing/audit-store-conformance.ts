/**
 * The conformance suite of the {@link AuditStore} port: every field round-trips, records come
 * back newest first per key, pages never skip or repeat one, an append is all or nothing per
 * call, and nothing is ever changed or lost by later appends.
 * @module
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { AuditRecord, AuditStore } from '../audit-store.js'
import { uuidV7 } from '../lib/uuid-v7.js'

/** Options of {@link auditStoreConformance}. */
export interface AuditStoreConformanceOptions<S extends AuditStore> {
  /** Called after each test with the store it used (close connections, drop tables…). */
  cleanup?: (store: S) => Promise<void> | void
  /**
   * Whether the store refuses a record whose id it holds (SQL primary keys do). A Redis
   * stream cannot check cheaply; the core never reuses an id. @defaultValue `true`
   */
  uniqueIds?: boolean
}

const T0 = Date.UTC(2026, 2, 1, 9, 30, 0, 123)

/** A realistic audit record of `keyId` at `at` (ms), every field set unless overridden. */
export function makeAuditRecord(
  keyId: string,
  at: number,
  overrides: Partial<AuditRecord> = {},
): AuditRecord {
  return {
    id: uuidV7(at),
    at: new Date(at),
    keyId,
    userId: 'u_audit',
    action: 'updated',
    actor: { type: 'user', id: 'admin-7' },
    reason: 'ticket 42',
    changes: { name: 'deploy', scopes: ['models:read', 'jobs:*'], expiresAt: null, n: 3 },
    request: { method: 'PATCH', path: '/api/v1/api-keys/x', clientAddress: '2001:db8::1' },
    ...overrides,
  }
}

/**
 * Registers the `AuditStore` conformance tests with vitest. Each test gets a fresh store from
 * `makeStore`. Call it at the top level of a vitest file.
 *
 * @example
 * ```ts
 * auditStoreConformance('SqliteKeyStore', () => new SqliteKeyStore(':memory:'))
 * ```
 */
export function auditStoreConformance<S extends AuditStore>(
  name: string,
  makeStore: () => S | Promise<S>,
  options: AuditStoreConformanceOptions<S> = {},
): void {
  const withStore = (fn: (store: S) => Promise<void>) => async (): Promise<void> => {
    const store = await makeStore()
    try {
      await fn(store)
    } finally {
      await options.cleanup?.(store)
    }
  }

  describe(`AuditStore conformance: ${name}`, () => {
    it(
      'returns every field as appended, of that key only, newest first',
      withStore(async (store) => {
        const keyId = randomUUID()
        const other = randomUUID()
        const full = makeAuditRecord(keyId, T0)
        const bare = makeAuditRecord(keyId, T0 + 1, {
          action: 'revoked',
          actor: null,
          reason: null,
          changes: null,
          request: null,
          userId: 'org:acme',
        })
        const system = makeAuditRecord(keyId, T0 + 2, {
          action: 'leaked',
          actor: { type: 'system', id: 'github' },
          request: { clientAddress: '203.0.113.7' },
        })
        await store.appendAudit([full, bare])
        await store.appendAudit([makeAuditRecord(other, T0 + 5)])
        await store.appendAudit([system])
        expect(await store.listAudit({ keyId, limit: 10, before: null })).toEqual([
          system,
          bare,
          full,
        ])
        expect(await store.listAudit({ keyId: randomUUID(), limit: 10, before: null })).toEqual([])
      }),
    )

    it(
      'pages by id: strictly before the cursor, at most limit, none skipped or repeated',
      withStore(async (store) => {
        const keyId = randomUUID()
        const records = Array.from({ length: 23 }, (_, i) =>
          makeAuditRecord(keyId, T0 + Math.floor(i / 3), { reason: `r${i}` }),
        )
        // Appended out of order and in several calls: the order is the ids', not the calls'.
        await store.appendAudit(records.slice(10))
        await store.appendAudit(records.slice(0, 10))
        const seen: string[] = []
        let before: string | null = null
        for (let page = 0; page < 10; page++) {
          const got: AuditRecord[] = await store.listAudit({ keyId, limit: 5, before })
          expect(got.length).toBeLessThanOrEqual(5)
          seen.push(...got.map((r) => r.id))
          const last = got.at(-1)
          if (got.length < 5 || last === undefined) break
          before = last.id
        }
        expect(seen).toEqual(records.map((r) => r.id).reverse())
      }),
    )

    it(
      'keeps records as written: a later append changes and removes none',
      withStore(async (store) => {
        const keyId = randomUUID()
        const first = makeAuditRecord(keyId, T0, { action: 'created' })
        await store.appendAudit([first])
        const copy = structuredClone(first)
        first.reason = 'mutated by the caller afterwards'
        await store.appendAudit([makeAuditRecord(keyId, T0 + 1_000, { action: 'disabled' })])
        const listed = await store.listAudit({ keyId, limit: 10, before: null })
        expect(listed.map((r) => r.action)).toEqual(['disabled', 'created'])
        expect(listed[1]).toEqual(copy)
      }),
    )

    it(
      'appends concurrently without losing a record',
      withStore(async (store) => {
        const keyId = randomUUID()
        const records = Array.from({ length: 40 }, (_, i) => makeAuditRecord(keyId, T0 + i))
        await Promise.all(records.map((r) => store.appendAudit([r])))
        const listed = await store.listAudit({ keyId, limit: 100, before: null })
        expect(listed.map((r) => r.id)).toEqual(records.map((r) => r.id).reverse())
      }),
    )

    // Registered only for stores that can check (no skipped test for the others).
    if (options.uniqueIds === false) return
    it(
      'refuses a batch with a duplicate id as a whole (append-only: no record is replaced)',
      withStore(async (store) => {
        const keyId = randomUUID()
        const first = makeAuditRecord(keyId, T0, { reason: 'original' })
        await store.appendAudit([first])
        const fresh = makeAuditRecord(keyId, T0 + 10)
        await expect(
          store.appendAudit([fresh, { ...first, reason: 'replacement' }]),
        ).rejects.toBeDefined()
        const listed = await store.listAudit({ keyId, limit: 10, before: null })
        expect(listed.map((r) => r.reason)).toEqual(['original'])
      }),
    )
  })
}
