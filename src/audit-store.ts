/**
 * The audit port: an append-only log of the management changes of each key (who created,
 * rolled, updated, disabled, enabled or revoked it, when, from where, why). Optional; run
 * `auditStoreConformance` of `@vydra/auth/testing` to check an implementation. The schema of
 * the stored records is in `docs/audit-log.md`.
 * @module
 */
import type { EventActor, RequestMetadata } from './events.js'

/** What was done to a key. */
export type AuditAction =
  'created' | 'revoked' | 'leaked' | 'rolled' | 'updated' | 'disabled' | 'enabled'

/** A value of {@link AuditRecord.changes}: never a key, a digest or a secret. */
export type AuditValue = string | number | boolean | null | readonly string[]

/**
 * One audit record: one successful change of one key. Built by the core; a store keeps every
 * field as given and never changes or deletes a record.
 */
export interface AuditRecord {
  /**
   * A UUID version 7: time-ordered (its first 48 bits are the milliseconds of `at`) and
   * monotonic within one process, so sorting ids as strings sorts records by time. The cursor
   * of {@link AuditStore.listAudit}.
   */
  id: string
  /** When the change was made, on the service clock. */
  at: Date
  /** UUID of the key. */
  keyId: string
  /** Owner of the key (`userId` of the record: `org:<id>`/`svc:<id>` for other owners). */
  userId: string
  /** What was done. */
  action: AuditAction
  /** Who did it; `null` when the caller did not say. */
  actor: EventActor | null
  /** Why (a revocation reason, free text up to 200 characters); `null` when not given. */
  reason: string | null
  /**
   * The fields the change set, with their new values (`name`, `scopes`, `expiresAt` as ISO
   * 8601, `metadataKeys`, `newKeyId`, `rolledFrom`, …); `null` when the action says it all.
   */
  changes: Readonly<Record<string, AuditValue>> | null
  /** The request behind the change (method, path, client address), when it came over HTTP. */
  request: RequestMetadata | null
}

/** A page request of {@link AuditStore.listAudit}. */
export interface AuditQuery {
  /** The key whose records to list. */
  keyId: string
  /** Most records to return (1 to 201: the core asks one more than it shows). */
  limit: number
  /** Only records whose `id` sorts before this one (exclusive); `null` from the newest. */
  before: string | null
}

/**
 * Where audit records live. Append-only: no method changes or removes a record.
 *
 * A {@link KeyStore} that is also the `AuditStore` (the same object passed as `store` and
 * `auditStore`, as `PostgresKeyStore` and `SqliteKeyStore` are) receives the records of each
 * management change as the trailing `audit` argument of `insert`, `insertCapped`, `revoke`,
 * `roll`, `setDisabled` and `update`, and writes them in the same transaction as the change,
 * if and only if the change happened: a change without its record cannot exist. With any other
 * pair the core appends the records after the change (see `docs/audit-log.md`).
 */
export interface AuditStore {
  /** Appends `records` (all or none). Rejects only for infrastructure failures. */
  appendAudit(records: readonly AuditRecord[]): Promise<void>
  /**
   * The records of `query.keyId`, newest first (by `id`, compared as strings), strictly before
   * `query.before`, at most `query.limit`; `[]` when none.
   */
  listAudit(query: AuditQuery): Promise<AuditRecord[]>
}

/**
 * The trailing `audit` argument of a {@link KeyStore}'s management methods: the records to
 * write in the same transaction as the change, if it happens. Given only to a store that is
 * also the service's {@link AuditStore}.
 */
export type AuditWrite = readonly AuditRecord[]
