/** Integrity check of what a store returns. Internal: not exported from the package. */
import type { ApiKeyRecord } from '../types.js'

const isDate = (value: unknown): value is Date =>
  value instanceof Date && !Number.isNaN(value.getTime())

const isDateOrNull = (value: unknown): boolean => value === null || isDate(value)

/**
 * The name of the first field that makes `value` unusable as a record, or `undefined` when it is
 * sound. A missing `expiresAt` or `revokedAt` is corrupt, not "never": absence must not grant.
 */
export function findCorruptField(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'record'
  const r = value as Partial<Record<keyof ApiKeyRecord, unknown>>
  if (typeof r.id !== 'string' || r.id.length === 0) return 'id'
  if (typeof r.userId !== 'string' || r.userId.length === 0) return 'userId'
  if (typeof r.hash !== 'string') return 'hash'
  if (typeof r.name !== 'string') return 'name'
  if (typeof r.keyPrefix !== 'string') return 'keyPrefix'
  if (!Array.isArray(r.scopes) || !r.scopes.every((s) => typeof s === 'string')) return 'scopes'
  if (!isDate(r.createdAt)) return 'createdAt'
  if (!isDateOrNull(r.expiresAt)) return 'expiresAt'
  if (!isDateOrNull(r.revokedAt)) return 'revokedAt'
  if (r.lastUsedAt !== undefined && !isDateOrNull(r.lastUsedAt)) return 'lastUsedAt'
  return undefined
}
