/**
 * Helpers of the conformance kit: realistic records, comparison, waiting.
 * @module
 */
import { randomUUID } from 'node:crypto'
import { generateApiKey, SECRET_LENGTH } from '../api-key.js'
import { hashApiKey } from '../hash.js'
import type { ApiKeyRecord } from '../types.js'

/**
 * A realistic record (real key format, real digest) for store tests; the key is returned too.
 *
 * @example
 * ```ts
 * const { record, key } = makeTestRecord({ userId: 'u1', scopes: ['*'] })
 * await store.insert(record)
 * expect((await store.findByHash(hashApiKey(key)))?.id).toBe(record.id)
 * ```
 */
export function makeTestRecord(overrides: Partial<ApiKeyRecord> = {}): {
  record: ApiKeyRecord
  key: string
} {
  const userId = overrides.userId ?? `u_${randomUUID().slice(0, 8)}`
  // A non-user owner (`org:<id>`) embeds its id in the key; the kind is not checked here.
  const key = generateApiKey(userId.replace(/^(org|svc):/, ''))
  const record: ApiKeyRecord = {
    id: randomUUID(),
    userId,
    name: 'test key',
    keyPrefix: `${key.slice(0, key.length - SECRET_LENGTH + 4)}...`,
    scopes: ['models:read'],
    createdAt: new Date(Date.UTC(2026, 0, 1, 12, 0, 0, 123)),
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    hash: hashApiKey(key),
    ...overrides,
  }
  return { record, key }
}

/** A date as milliseconds, `null` for none. */
export const time = (date: Date | null | undefined): number | null =>
  date === null || date === undefined ? null : date.getTime()

/** The comparable content of a record: dates as milliseconds. */
export function comparable(record: ApiKeyRecord | null): Record<string, unknown> | null {
  if (record === null) return null
  return {
    id: record.id,
    userId: record.userId,
    name: record.name,
    keyPrefix: record.keyPrefix,
    scopes: [...record.scopes],
    hash: record.hash,
    createdAt: time(record.createdAt),
    expiresAt: time(record.expiresAt),
    lastUsedAt: time(record.lastUsedAt),
    revokedAt: time(record.revokedAt),
  }
}

/** Polls `check` until it holds or `timeoutMs` passed. */
export async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (check()) return true
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return check()
}
