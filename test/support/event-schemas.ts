/**
 * zod schemas of every event payload (src/events.ts), strict: a field added to a payload and not
 * here fails, so nothing reaches listeners unreviewed. Issues 11, 12 and 13 test their events
 * against these.
 */
import { z } from 'zod'
import type { AuthEventName } from '../../src/index.js'

const uuid = z.string().uuid()
const request = z
  .object({
    method: z.string().optional(),
    path: z.string().optional(),
    clientAddress: z.string().optional(),
  })
  .strict()
  .nullable()
const actor = z
  .object({ type: z.enum(['user', 'key', 'system']), id: z.string().max(200) })
  .strict()
  .nullable()
// The display form: head, then at most 4 characters of the secret and an ellipsis.
const keyPrefix = z
  .string()
  .regex(/^[a-z][a-z0-9]*_[a-z][a-z0-9]*_user_[A-Za-z0-9_-]+_[0-9A-Za-z]{0,4}\.\.\.$/)

const keyBase = {
  at: z.date(),
  keyId: uuid,
  userId: z.string(),
  keyPrefix,
  actor,
  request,
}

const reason = z.string().max(200).nullable()

export const eventSchemas = {
  'key.created': z.object({
    type: z.literal('key.created'),
    ...keyBase,
    name: z.string(),
    scopes: z.array(z.string()).readonly(),
    expiresAt: z.date().nullable(),
  }),
  'key.revoked': z.object({ type: z.literal('key.revoked'), ...keyBase, reason }),
  'key.rolled': z.object({
    type: z.literal('key.rolled'),
    ...keyBase,
    newKeyId: uuid,
    newKeyPrefix: keyPrefix,
    graceUntil: z.date().nullable(),
  }),
  'key.updated': z.object({
    type: z.literal('key.updated'),
    ...keyBase,
    changes: z.array(z.string()).readonly(),
  }),
  'key.disabled': z.object({ type: z.literal('key.disabled'), ...keyBase, reason }),
  'key.enabled': z.object({ type: z.literal('key.enabled'), ...keyBase, reason }),
  'key.leaked': z.object({
    type: z.literal('key.leaked'),
    ...keyBase,
    source: z.string(),
    url: z.string().nullable(),
    revoked: z.boolean(),
  }),
  'key.expiring': z.object({
    type: z.literal('key.expiring'),
    ...keyBase,
    expiresAt: z.date(),
    threshold: z.string(),
  }),
  'key.expired': z.object({ type: z.literal('key.expired'), ...keyBase, expiresAt: z.date() }),
  'auth.denied': z.object({
    type: z.literal('auth.denied'),
    at: z.date(),
    code: z.string().regex(/^[A-Z_]+$/),
    reason: z.string().nullable(),
    keyId: uuid.nullable(),
    userId: z.string().nullable(),
    keyPrefix: keyPrefix.nullable(),
    requiredScopes: z.array(z.string()).readonly(),
    request,
  }),
  'limit.hit': z.object({
    type: z.literal('limit.hit'),
    at: z.date(),
    keyId: uuid,
    userId: z.string(),
    keyPrefix: keyPrefix.nullable(),
    limit: z.enum(['rate', 'credits']),
    retryAfterMs: z.number().int().nonnegative().nullable(),
    request,
  }),
  'auth.throttled': z.object({
    type: z.literal('auth.throttled'),
    at: z.date(),
    limit: z.literal('failed-auth'),
    // An address or an IPv6 /64: never anything of a presented key.
    subject: z.string().regex(/^[0-9a-f:.]{2,45}(::\/64)?$/),
    retryAfterMs: z.number().int().positive(),
    request,
  }),
} satisfies Record<AuthEventName, z.ZodType>

/** Parses `event` with the strict schema of its `type`; throws with zod's issues otherwise. */
export function parseEvent(event: unknown): void {
  const type = (event as { type?: unknown }).type as AuthEventName
  const schema = eventSchemas[type]
  if (schema === undefined) throw new Error(`unknown event type ${String(type)}`)
  schema.strict().parse(event)
}
