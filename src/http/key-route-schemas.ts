/**
 * The JSON the key-management routes answer with, as zod schemas: the routes build their bodies
 * as these types, and the OpenAPI document describes them from the same schemas.
 * Internal module; the document is public through `apiKeyRoutesOpenApi`.
 * @module
 */
import { z } from 'zod'
import { keyLimitsSchema } from '../limits/schema.js'
import { AUTH_ERROR_STATUS, type AuthErrorBody, type AuthErrorCode } from '../errors.js'

const isoDate = z.iso.datetime().meta({ examples: ['2026-11-30T09:00:00.000Z'] })
const uuid = z.uuid().meta({ examples: ['3f6c1c9e-2b7a-4d55-9a51-2f0f1d5b8c41'] })

/** One key as listed: everything but the secret and its digest. */
export const apiKeyJsonSchema = z
  .object({
    id: uuid,
    userId: z.string().meta({ examples: ['u123'] }),
    name: z.string().meta({ examples: ['CI deploys'] }),
    keyPrefix: z.string().meta({
      description: 'Display form of the key: enough to recognise it, not to use it.',
      examples: ['vydra_live_u123_X7kM...'],
    }),
    scopes: z.array(z.string()).meta({ examples: [['models:read']] }),
    createdAt: isoDate,
    expiresAt: isoDate.nullable(),
    lastUsedAt: isoDate.nullable(),
    revokedAt: isoDate.nullable(),
    // 0.2 key lifecycle.
    status: z.enum(['active', 'disabled', 'revoked', 'expired']),
    ownerType: z.enum(['user', 'org', 'svc']),
    createdBy: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()).meta({ examples: [{ team: 'ml' }] }),
    disabledAt: isoDate.nullable(),
    revokedReason: z.string().nullable(),
    replacedBy: uuid.nullable(),
    rolledFrom: uuid.nullable(),
    graceEndsAt: isoDate.nullable().meta({
      description: 'End of the grace a roll gave this (old) key; it is refused from then on.',
    }),
  })
  .meta({ description: 'A key as its owner sees it; never the secret.' })

/** The answer of `GET <basePath>`: one page, oldest first. */
export const keyListJsonSchema = z.object({
  keys: z.array(apiKeyJsonSchema),
  nextCursor: z.string().nullable().meta({
    description: 'Pass as `cursor` for the next page; `null` on the last page.',
  }),
})

/** The answer of `POST <basePath>`: the only response that ever holds the full key. */
export const createdKeyJsonSchema = z
  .object({
    id: uuid,
    key: z.string().meta({
      description: 'The full key. Shown once: it cannot be recovered. Store it securely.',
    }),
    keyPrefix: z.string(),
    message: z
      .string()
      .meta({ examples: ['Store this key securely. It will not be shown again.'] }),
    name: z.string(),
    scopes: z.array(z.string()),
    createdAt: isoDate,
    expiresAt: isoDate.nullable(),
  })
  .meta({ description: 'The new key: the only answer that ever holds the full key.' })

/** The answer of `POST <basePath>/{id}/roll`: a created key plus the old key's end. */
export const rolledKeyJsonSchema = createdKeyJsonSchema
  .extend({
    previous: z.object({
      id: uuid,
      expiresAt: isoDate.nullable().meta({
        description:
          'When the old key stops working; null while a firstUse grace has not started (and the old key never expires).',
      }),
    }),
  })
  .meta({ description: 'The new key (shown once) and when the key it replaces stops working.' })

/** The body of `POST <basePath>/{id}/roll` (optional). */
export const rollBodySchema = z
  .object({
    gracePeriodMs: z.number().int().min(0).optional().meta({
      description:
        'How long the old key keeps working, in ms (at most maxRollGraceMs); 0 revokes it now.',
    }),
    graceStarts: z.enum(['now', 'firstUse']).optional(),
  })
  // An unknown field is refused, not ignored: a client sending one expects it to take effect.
  .strict()

/** The body of `PATCH <basePath>/{id}`: rename, replace metadata, narrow. */
export const updateBodySchema = z
  .object({
    name: z.string().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    scopes: z.array(z.string()).optional().meta({
      description: 'Fewer scopes: each must be covered by one the key has.',
    }),
    expiresAt: z.string().optional().meta({ description: 'An earlier expiry, ISO 8601.' }),
    limits: keyLimitsSchema
      .nullable()
      .optional()
      .meta({
        description:
          'Narrower usage limits: every current rate limit kept (same name and window, a limit ' +
          "no higher), credits unchanged; null removes the key's own (docs/limits.md).",
      }),
  })
  // `revokedAt`, `enabled`, `userId`…: refused by name, never silently ignored.
  .strict()

/** The query of `GET <basePath>`. */
export const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().max(200).optional(),
  status: z.enum(['active', 'disabled', 'revoked', 'expired', 'all']).optional(),
})

/** The answer of `DELETE <basePath>/{id}`. */
export const revokedKeyJsonSchema = z.object({ id: uuid, revokedAt: isoDate.nullable() })

/** Every error code, for the body's `code` enum. */
export const AUTH_ERROR_CODES = Object.keys(AUTH_ERROR_STATUS) as AuthErrorCode[]

/** The body of every error response, `code` limited to `codes`. */
export function errorBodySchema(codes: readonly AuthErrorCode[]): z.ZodType<AuthErrorBody> {
  return z.object({
    error: z.object({
      code: z.enum(codes as [AuthErrorCode, ...AuthErrorCode[]]),
      message: z.string(),
      requiredScopes: z.array(z.string()).optional(),
      issues: z
        .array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string() }))
        .optional(),
    }),
  })
}

/** A listed key's JSON. */
export type ApiKeyJson = z.infer<typeof apiKeyJsonSchema>
/** A created key's JSON. */
export type CreatedKeyJson = z.infer<typeof createdKeyJsonSchema>
/** A rolled key's JSON. */
export type RolledKeyJson = z.infer<typeof rolledKeyJsonSchema>
