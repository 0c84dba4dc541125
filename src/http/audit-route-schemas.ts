/**
 * The JSON of `GET <basePath>/{id}/events` (a key's audit log), as zod schemas: the route builds
 * its body as these types, and the OpenAPI document describes them from the same schemas.
 * Internal module.
 * @module
 */
import { z } from 'zod'
import type { AuditRecord } from '../audit-store.js'

const isoDate = z.iso.datetime().meta({ examples: ['2026-11-30T09:00:00.000Z'] })
const uuid = z.uuid().meta({ examples: ['3f6c1c9e-2b7a-4d55-9a51-2f0f1d5b8c41'] })

/** One audit record as the route shows it (dates as ISO 8601). */
export const auditEventJsonSchema = z.object({
  id: uuid.meta({ description: 'UUID v7: sorts by time.' }),
  at: isoDate,
  keyId: uuid,
  userId: z.string().meta({ examples: ['u123'] }),
  action: z.enum(['created', 'revoked', 'leaked', 'rolled', 'updated', 'disabled', 'enabled']),
  actor: z
    .object({ type: z.enum(['user', 'key', 'system']), id: z.string() })
    .nullable()
    .meta({
      description: 'Who made the change: a session user, a key holding `*`, or the library.',
    }),
  reason: z.string().nullable(),
  changes: z
    .record(
      z.string(),
      z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]),
    )
    .nullable()
    .meta({
      description:
        'The fields the change set and their new values (name, scopes, expiresAt, metadataKeys, newKeyId, rolledFrom…); never a key or a digest.',
    }),
  request: z
    .object({
      method: z.string().optional(),
      path: z.string().optional(),
      clientAddress: z.string().optional(),
    })
    .nullable(),
})

/** The answer of `GET <basePath>/{id}/events`: newest first, with the next page's cursor. */
export const auditPageJsonSchema = z.object({
  events: z.array(auditEventJsonSchema),
  nextCursor: z.string().nullable(),
})

/** The query of `GET <basePath>/{id}/events`. */
export const eventsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().max(200).optional(),
})

/** One audit record as JSON. */
export type AuditEventJson = z.infer<typeof auditEventJsonSchema>

/** A record as the route shows it. */
export function auditEventToJson(record: AuditRecord): AuditEventJson {
  return {
    id: record.id,
    at: record.at.toISOString(),
    keyId: record.keyId,
    userId: record.userId,
    action: record.action,
    actor: record.actor === null ? null : { type: record.actor.type, id: record.actor.id },
    reason: record.reason,
    changes: record.changes === null ? null : ({ ...record.changes } as AuditEventJson['changes']),
    request: record.request === null ? null : { ...record.request },
  }
}
