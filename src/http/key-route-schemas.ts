/**
 * The JSON the key-management routes answer with, as zod schemas: the routes build their bodies
 * as these types, and the OpenAPI document describes them from the same schemas.
 * Internal module; the document is public through `apiKeyRoutesOpenApi`.
 * @module
 */
import { z } from 'zod'
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
  })
  .meta({ description: 'A key as its owner sees it; never the secret.' })

/** The answer of `GET <basePath>`. */
export const keyListJsonSchema = z.object({ keys: z.array(apiKeyJsonSchema) })

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
