/**
 * What the built-in stores share about the 0.2 record: which fields they know (the rest is kept
 * as JSON in an `extra` column or field). The lifecycle rules themselves come from
 * `@vydra/auth/store-kit` (src/store-kit.ts), as for a store written by a user.
 * Internal: not exported from the package.
 * @module
 */
import type { ApiKeyRecord } from '../../../src/index.js'

/** Every field a built-in store keeps in a column of its own. */
export const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'userId',
  'name',
  'keyPrefix',
  'scopes',
  'hash',
  'createdAt',
  'expiresAt',
  'lastUsedAt',
  'revokedAt',
  'ownerType',
  'createdBy',
  'metadata',
  'disabledAt',
  'revokedReason',
  'replacedBy',
  'rolledFrom',
  'graceEndsAt',
  'firstUseGraceMs',
])

/**
 * The fields of `record` no built-in store knows (a later version's `limits`…), as JSON, or
 * `null` when there are none. They come back as JSON values: a `Date` among them reads back as
 * its ISO string.
 */
export function extraJson(record: ApiKeyRecord): string | null {
  let extra: Record<string, unknown> | undefined
  for (const [field, value] of Object.entries(record)) {
    if (KNOWN_FIELDS.has(field) || value === undefined) continue
    ;(extra ??= {})[field] = value
  }
  return extra === undefined ? null : JSON.stringify(extra)
}

/** The unknown fields stored by {@link extraJson}, to spread under the known ones. */
export function parseExtra(json: string | null | undefined): Record<string, unknown> {
  if (json === null || json === undefined || json === '') return {}
  const value: unknown = JSON.parse(json)
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}
}

/** Metadata as stored (`null` for none, read back as `{}`). */
export const metadataJson = (record: ApiKeyRecord): string | null =>
  record.metadata === undefined ? null : JSON.stringify(record.metadata)
