/**
 * The audit log's writing half: the records of a management change, built from the key and the
 * caller's context, and where they go. With a store that is also the audit store (PostgreSQL,
 * SQLite) they ride along with the change into its transaction; with any other pair they are
 * appended right after the change, and a failed append is logged (the change stands).
 * Internal: not exported from the package.
 * @module
 */
import type {
  AuditAction,
  AuditRecord,
  AuditStore,
  AuditValue,
  AuditWrite,
} from '../audit-store.js'
import { AuthError } from '../errors.js'
import type { EventActor, RequestMetadata } from '../events.js'
import { describeError } from '../lib/describe-error.js'
import { uuidV7 } from '../lib/uuid-v7.js'
import { withTimeout } from '../lib/with-timeout.js'
import type { ResolvedAuthOptions } from '../options/types.js'
import type { KeyLimits } from '../limits/types.js'
import type { KeyMetadata } from '../types.js'
import { contextReason, copyRequest, type ManagementContext } from './key-events.js'

/** What a record says about a key: its id and owner. */
export interface AuditedKey {
  id: string
  userId: string
}

/** The fields of a key a `created` or `updated` record shows; never its digest. */
export interface AuditedFields {
  name?: string
  scopes?: readonly string[]
  expiresAt?: Date | null
  metadata?: KeyMetadata | undefined
  ownerType?: string | undefined
  createdBy?: string | null | undefined
  rolledFrom?: string | null | undefined
  /** The key's own usage limits (`null`: removed, the instance defaults apply). */
  limits?: KeyLimits | null | undefined
}

/** The audit log as the management parts use it. */
export interface AuditLog {
  /** Whether records are kept at all (an `auditStore` is set). */
  readonly enabled: boolean
  /**
   * One record, or `undefined` when the log is off. `context` gives the actor, the request and
   * the reason; `changes` the fields set (see {@link auditChanges}).
   */
  record(
    action: AuditAction,
    key: AuditedKey,
    at: number,
    context: ManagementContext | undefined,
    changes?: Record<string, AuditValue> | null,
  ): AuditRecord | undefined
  /** `records` for the store's trailing `audit` argument when it writes them; else `undefined`. */
  forStore(records: ReadonlyArray<AuditRecord | undefined>): AuditWrite | undefined
  /**
   * After a change: appends `records` to the audit store unless the key store wrote them, and
   * only if `changed`. Never rejects: a failed append is logged with the record.
   */
  after(records: ReadonlyArray<AuditRecord | undefined>, changed: boolean): Promise<void>
  /** The audit store, for reading; `undefined` when the log is off. */
  readonly store: AuditStore | undefined
}

/** What {@link createAuditLog} needs: the resolved options' stores, deadline and logger. */
export type AuditLogDeps = Pick<
  ResolvedAuthOptions,
  'auditStore' | 'store' | 'storeTimeoutMs' | 'logger'
>

const MAX_TEXT = 200

/** The `changes` of a record from the fields given: names and new values, no secret. */
export function auditChanges(fields: AuditedFields): Record<string, AuditValue> | null {
  const changes: Record<string, AuditValue> = {}
  if (typeof fields.name === 'string') changes.name = fields.name
  if (Array.isArray(fields.scopes)) changes.scopes = Object.freeze([...fields.scopes])
  if (fields.expiresAt !== undefined) changes.expiresAt = fields.expiresAt?.toISOString() ?? null
  // Metadata values are the application's (they may be personal data): only their names.
  if (fields.metadata !== undefined && fields.metadata !== null) {
    changes.metadataKeys = Object.freeze(Object.keys(fields.metadata).sort())
  }
  if (typeof fields.ownerType === 'string' && fields.ownerType !== 'user') {
    changes.ownerType = fields.ownerType
  }
  if (typeof fields.createdBy === 'string') changes.createdBy = fields.createdBy.slice(0, MAX_TEXT)
  if (typeof fields.rolledFrom === 'string') changes.rolledFrom = fields.rolledFrom
  // A plan's limits are the application's settings, not secrets: kept whole, as JSON text.
  if (fields.limits !== undefined) {
    changes.limits = fields.limits === null ? null : JSON.stringify(fields.limits)
  }
  return Object.keys(changes).length === 0 ? null : changes
}

function copyActor(actor: EventActor | undefined): EventActor | null {
  if (actor === undefined || actor === null || typeof actor !== 'object') return null
  const { type, id } = actor
  if ((type !== 'user' && type !== 'key' && type !== 'system') || typeof id !== 'string') {
    return null
  }
  return { type, id: id.slice(0, MAX_TEXT) }
}

// The request's known fields, `null` when it has none (as every store reads it back).
function requestOf(context: ManagementContext | undefined): RequestMetadata | null {
  const request = copyRequest(context?.request)
  if (request === null) return null
  // Empty values say nothing (and a store may not tell them from absent ones).
  const known = Object.entries(request).filter(([, value]) => value !== '')
  return known.length === 0 ? null : (Object.fromEntries(known) as RequestMetadata)
}

const present = (records: ReadonlyArray<AuditRecord | undefined>): AuditRecord[] =>
  records.filter((r): r is AuditRecord => r !== undefined)

/** Builds the audit log over the options' `auditStore` (off without one). */
export function createAuditLog(deps: AuditLogDeps): AuditLog {
  const { auditStore, logger } = deps
  // The same object as store and audit store: it writes the records in its own transaction.
  const atomic = auditStore !== undefined && (auditStore as unknown) === deps.store
  return {
    enabled: auditStore !== undefined,
    store: auditStore,
    record: (action, key, at, context, changes = null) => {
      if (auditStore === undefined) return undefined
      return {
        id: uuidV7(at),
        at: new Date(at),
        keyId: key.id,
        userId: key.userId,
        action,
        actor: copyActor(context?.actor),
        reason: contextReason(context),
        changes,
        request: requestOf(context),
      }
    },
    forStore: (records) => {
      const list = present(records)
      return atomic && list.length > 0 ? list : undefined
    },
    after: async (records, changed) => {
      const list = present(records)
      if (atomic || auditStore === undefined || !changed || list.length === 0) return
      try {
        await withTimeout(
          () => auditStore.appendAudit(list),
          deps.storeTimeoutMs,
          () => new AuthError('AUTH_UNAVAILABLE', { reason: 'store_timeout' }),
        )
      } catch (error) {
        // The change is made and cannot be taken back: the record goes to the log instead.
        logger.error('audit record not written', {
          error: describeError(error),
          records: list.map((r) => ({ ...r, at: r.at.toISOString() })),
        })
      }
    },
  }
}
