/**
 * Audit records as the SQL stores and the Redis stream keep them: one flat row of scalars
 * (the request split into columns, `changes` as JSON text), and back. Internal: not exported.
 * @module
 */
import type { AuditRecord, AuditValue, EventActor, RequestMetadata } from '../../../src/index.js'

/** The columns of an audit row, in the order of {@link auditRowValues}. */
export const AUDIT_COLUMNS = [
  'id',
  'key_id',
  'user_id',
  'at',
  'action',
  'actor_type',
  'actor_id',
  'reason',
  'changes',
  'request_method',
  'request_path',
  'client_address',
] as const

/** One audit row; `at` in ms since the epoch (a `Date` from PostgreSQL). */
export interface AuditRow {
  id: string
  key_id: string
  user_id: string
  at: number | Date | string
  action: string
  actor_type: string | null
  actor_id: string | null
  reason: string | null
  changes: string | null | Record<string, unknown>
  request_method: string | null
  request_path: string | null
  client_address: string | null
}

/** The values of `record`'s row, in the order of {@link AUDIT_COLUMNS}; `at` in ms. */
export function auditRowValues(record: AuditRecord): (string | number | null)[] {
  return [
    record.id,
    record.keyId,
    record.userId,
    record.at.getTime(),
    record.action,
    record.actor?.type ?? null,
    record.actor?.id ?? null,
    record.reason,
    record.changes === null ? null : JSON.stringify(record.changes),
    record.request?.method ?? null,
    record.request?.path ?? null,
    record.request?.clientAddress ?? null,
  ]
}

/** The record of a row. */
export function auditRecordOf(row: AuditRow): AuditRecord {
  const actor =
    row.actor_type === null || row.actor_id === null
      ? null
      : ({ type: row.actor_type, id: row.actor_id } as EventActor)
  const request: RequestMetadata = {}
  if (row.request_method !== null) request.method = row.request_method
  if (row.request_path !== null) request.path = row.request_path
  if (row.client_address !== null) request.clientAddress = row.client_address
  const changes =
    row.changes === null
      ? null
      : ((typeof row.changes === 'string' ? JSON.parse(row.changes) : row.changes) as Record<
          string,
          AuditValue
        >)
  return {
    id: row.id,
    at: row.at instanceof Date ? row.at : new Date(Number(row.at)),
    keyId: row.key_id,
    userId: row.user_id,
    action: row.action as AuditRecord['action'],
    actor,
    reason: row.reason,
    changes,
    request: Object.keys(request).length === 0 ? null : request,
  }
}
