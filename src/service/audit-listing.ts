/**
 * `listEvents`: one page of a key's audit records, newest first, with an opaque cursor. The key
 * must be the owner's (an unknown or foreign id is `KEY_NOT_FOUND`, as everywhere). Internal:
 * not exported from the package.
 * @module
 */
import { z } from 'zod'
import type { AuditRecord, AuditStore } from '../audit-store.js'
import { AuthError, isAuthError } from '../errors.js'
import { decodeBase64Url, encodeBase64Url } from '../lib/base64url.js'
import { describeError } from '../lib/describe-error.js'
import { isUuid } from '../lib/uuid.js'
import { withTimeout } from '../lib/with-timeout.js'
import type { AuthLogger } from '../options/types.js'
import type { KeyLifecycle, KeyRefInput } from './key-lifecycle.js'
import { PAGE_LIMITS } from './key-listing.js'
import { toIssues } from './key-manager.js'

/** Input of `listEvents`: the key (with its owner) and the page. */
export interface ListEventsInput extends KeyRefInput {
  /** Records per page, 1–200. @defaultValue `50` */
  limit?: number
  /** The `nextCursor` of the previous page; omitted for the newest records. */
  cursor?: string
}

/** One page of a key's audit records. */
export interface AuditPage {
  /** Newest first. */
  events: AuditRecord[]
  /** Pass it as `cursor` for the next (older) page; `null` on the last page. */
  nextCursor: string | null
}

/** What {@link createEventLister} needs. */
export interface EventListerDeps {
  store: AuditStore | undefined
  findOwn: KeyLifecycle['findOwn']
  timeoutMs: number
  logger: AuthLogger
}

const schema = z.object({
  limit: z.number().int().min(1).max(PAGE_LIMITS.max).optional(),
  cursor: z.string().max(200).optional(),
})

/** The cursor after `record`: its id, base64url. */
export function encodeEventCursor(record: Pick<AuditRecord, 'id'>): string {
  return encodeBase64Url(`a.${record.id}`)
}

/** The record id a cursor names, or `null` when it is not one this library made. */
export function decodeEventCursor(cursor: string): string | null {
  const text = decodeBase64Url(cursor)
  if (text === null || !text.startsWith('a.')) return null
  const id = text.slice(2)
  return isUuid(id) ? id.toLowerCase() : null
}

/** Builds `listEvents`. */
export function createEventLister(
  deps: EventListerDeps,
): (input: ListEventsInput) => Promise<AuditPage> {
  return async (input) => {
    const parsed = schema.safeParse({ limit: input?.limit, cursor: input?.cursor })
    if (!parsed.success) {
      throw new AuthError('VALIDATION_ERROR', { issues: toIssues(parsed.error.issues) })
    }
    const before = parsed.data.cursor === undefined ? null : decodeEventCursor(parsed.data.cursor)
    if (parsed.data.cursor !== undefined && before === null) {
      throw new AuthError('VALIDATION_ERROR', {
        issues: [
          { path: ['cursor'], message: 'not a cursor of this list (use nextCursor as given)' },
        ],
      })
    }
    const store = deps.store
    if (store === undefined) {
      throw new AuthError('NOT_SUPPORTED', {
        message: 'The audit log is off: pass auditStore to createApiKeyAuth',
      })
    }
    const { record } = await deps.findOwn(input)
    const limit = parsed.data.limit ?? PAGE_LIMITS.default
    const records = await read(store, { keyId: record.id, limit: limit + 1, before }, deps)
    const events = records
      .filter((r) => r.keyId === record.id && (before === null || r.id < before))
      .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, limit + 1)
    const shown = events.slice(0, limit)
    const last = shown.at(-1)
    return {
      events: shown,
      nextCursor: events.length > limit && last !== undefined ? encodeEventCursor(last) : null,
    }
  }
}

// The store's answer, under the deadline; anything but an array of records fails closed.
async function read(
  store: AuditStore,
  query: { keyId: string; limit: number; before: string | null },
  deps: EventListerDeps,
): Promise<AuditRecord[]> {
  let records: unknown
  try {
    records = await withTimeout(
      () => store.listAudit(query),
      deps.timeoutMs,
      () => new AuthError('AUTH_UNAVAILABLE', { reason: 'store_timeout' }),
    )
  } catch (cause) {
    if (isAuthError(cause) && cause.code === 'AUTH_UNAVAILABLE') throw cause
    deps.logger.error('audit store listAudit failed', { error: describeError(cause) })
    throw new AuthError('AUTH_UNAVAILABLE', { cause, reason: 'store_error' })
  }
  if (!Array.isArray(records) || !records.every(isAuditRecord)) {
    deps.logger.error('audit store returned corrupt records', { keyId: query.keyId })
    throw new AuthError('AUTH_UNAVAILABLE', { reason: 'corrupt_record' })
  }
  return records
}

function isAuditRecord(value: unknown): value is AuditRecord {
  if (value === null || typeof value !== 'object') return false
  const r = value as Record<string, unknown>
  return (
    typeof r.id === 'string' &&
    r.at instanceof Date &&
    !Number.isNaN(r.at.getTime()) &&
    typeof r.keyId === 'string' &&
    typeof r.userId === 'string' &&
    typeof r.action === 'string'
  )
}
