/**
 * Conformance cases of the optional pepper-rotation methods (`findByHashes`, `rehash`,
 * `countDigestVersions`), registered by `keyStoreConformance` when a store declares
 * `capabilities.pepperRotation`.
 * @module
 */
import { expect, it } from 'vitest'
import type { KeyStore } from '../key-store.js'
import type { ApiKeyRecord } from '../types.js'

/** Runs a test body against a fresh store. */
export type WithStore<S> = (fn: (store: S) => Promise<void>) => () => Promise<void>

/** What the cases need from the kit. */
export interface RotationCaseDeps {
  makeRecord: (overrides?: Partial<ApiKeyRecord>) => { record: ApiKeyRecord }
  /** How long a revocation may take to reach `onRevoke` listeners. */
  deliveryMs: number
  onRevoke: boolean
  eventually: (check: () => boolean, timeoutMs: number) => Promise<boolean>
}

const hex = (): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('')

/** Registers the cases with vitest. */
export function registerPepperRotationCases<S extends KeyStore>(
  withStore: WithStore<S>,
  deps: RotationCaseDeps,
): void {
  it(
    'findByHashes returns the record stored under any of the digests, versioned or not',
    withStore(async (store) => {
      const { record } = deps.makeRecord({ hash: `p1$${hex()}` })
      const { record: legacy } = deps.makeRecord({ hash: hex() })
      await store.insert(record)
      await store.insert(legacy)
      expect((await store.findByHash(record.hash))?.id).toBe(record.id)
      const found = await store.findByHashes?.([`p2$${hex()}`, record.hash, hex()])
      expect(found?.id).toBe(record.id)
      expect(found?.hash).toBe(record.hash)
      expect((await store.findByHashes?.([`p2$${hex()}`, legacy.hash]))?.id).toBe(legacy.id)
      expect(await store.findByHashes?.([`p2$${hex()}`, hex()])).toBeNull()
      expect(await store.findByHashes?.([])).toBeNull()
    }),
  )

  it(
    'rehash is a compare-and-set of the digest that keeps every other field',
    withStore(async (store) => {
      const at = new Date(Date.UTC(2026, 4, 1))
      const { record } = deps.makeRecord({ hash: `p1$${hex()}` })
      await store.insert(record)
      await store.revoke(record.id, record.userId, at)
      const to = `p2$${hex()}`
      expect(await store.rehash?.(record.id, `p1$${hex()}`, to)).toBe(false)
      expect(await store.rehash?.(record.id, record.hash, to)).toBe(true)
      expect(await store.findByHash(record.hash)).toBeNull()
      const moved = await store.findByHash(to)
      expect(moved?.id).toBe(record.id)
      expect(moved?.revokedAt?.getTime()).toBe(at.getTime())
      expect(moved?.scopes).toEqual(record.scopes)
      expect((await store.listByUser(record.userId)).map((r) => r.hash)).toEqual([to])
      expect(await store.rehash?.(record.id, record.hash, `p3$${hex()}`)).toBe(false)
      expect(await store.rehash?.(crypto.randomUUID(), to, `p3$${hex()}`)).toBe(false)
    }),
  )

  it(
    'concurrent rehashes of one record: exactly one wins',
    withStore(async (store) => {
      const { record } = deps.makeRecord({ hash: hex() })
      await store.insert(record)
      const targets = Array.from({ length: 5 }, () => `p2$${hex()}`)
      const results = await Promise.all(
        targets.map((to) => store.rehash?.(record.id, record.hash, to)),
      )
      expect(results.filter((r) => r === true)).toHaveLength(1)
      const winner = targets[results.indexOf(true)] as string
      expect((await store.findByHash(winner))?.id).toBe(record.id)
    }),
  )

  it(
    'countDigestVersions counts records not revoked per pepper id, unversioned as ""',
    withStore(async (store) => {
      const before = (await store.countDigestVersions?.()) ?? {}
      const records = [`p1$${hex()}`, `p1$${hex()}`, `p2$${hex()}`, hex(), `p2$${hex()}`]
      const inserted = records.map((hash) => deps.makeRecord({ hash }).record)
      for (const record of inserted) await store.insert(record)
      const last = inserted[4] as ApiKeyRecord
      await store.revoke(last.id, last.userId, new Date())
      const after = (await store.countDigestVersions?.()) ?? {}
      const added = (v: string): number => (after[v] ?? 0) - (before[v] ?? 0)
      expect([added('p1'), added('p2'), added('')]).toEqual([2, 1, 1])
    }),
  )

  if (deps.onRevoke) {
    it(
      'after a rehash, a revocation delivers the new digest',
      withStore(async (store) => {
        const heard: string[] = []
        const stop = store.onRevoke?.((hash) => heard.push(hash)) ?? (() => {})
        try {
          const { record } = deps.makeRecord({ hash: hex() })
          await store.insert(record)
          const to = `p2$${hex()}`
          await store.rehash?.(record.id, record.hash, to)
          await store.revoke(record.id, record.userId, new Date())
          expect(await deps.eventually(() => heard.includes(to), deps.deliveryMs)).toBe(true)
        } finally {
          stop()
        }
      }),
    )
  }
}
