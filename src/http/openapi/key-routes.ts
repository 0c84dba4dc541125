/**
 * The key-management routes as data: one entry per operation, with its body and answer schemas
 * and every error code it can answer. The OpenAPI document is generated from this table, so a
 * new route is documented by adding its entry here. Internal module.
 * @module
 */
import type { z } from 'zod'
import type { AuthErrorCode } from '../../errors.js'
import { createKeyBodySchema } from '../../key-input-schema.js'
import {
  apiKeyJsonSchema,
  createdKeyJsonSchema,
  keyListJsonSchema,
  revokedKeyJsonSchema,
} from '../key-route-schemas.js'

/** Who may call an operation. */
export type RouteAccess = 'session' | 'session-or-key'

/** What a schema of a route may depend on: the instance's limits. */
export interface RouteContext {
  maxExpiresInDays: number
}

/** One operation of the key routes. */
export interface KeyRouteSpec {
  method: 'get' | 'post' | 'delete' | 'patch' | 'put'
  /** Relative to `basePath`: `''` for the collection, `'/{id}'` for one key. */
  path: string
  operationId: string
  summary: string
  description: string
  access: RouteAccess
  /** Cookie-authenticated calls are CSRF-checked (every method but GET and HEAD). */
  csrf: boolean
  /** The JSON body, when the operation takes one. */
  body?: (context: RouteContext) => z.ZodType
  /** Components name of the body schema. */
  bodyName?: string
  success: { status: number; description: string; schema: z.ZodType; name: string }
  /** Every error the operation can answer; `[code, status]` where the status is not the usual. */
  errors: readonly (AuthErrorCode | readonly [AuthErrorCode, number])[]
}

// A bad, unknown, revoked or expired API key, or one without `*`, on the routes that take one.
const API_KEY_ERRORS: readonly AuthErrorCode[] = [
  'MISSING_AUTH',
  'INVALID_FORMAT',
  'KEY_NOT_FOUND',
  'KEY_REVOKED',
  'KEY_EXPIRED',
  'INSUFFICIENT_SCOPE',
]

/** The key-management routes, in the order the document lists them. */
export const KEY_ROUTES: readonly KeyRouteSpec[] = [
  {
    method: 'post',
    path: '',
    operationId: 'createApiKey',
    summary: 'Create an API key',
    description:
      'Issues a key for the signed-in user (from the session, never from the body). The full key is in this answer only: show it once, it cannot be recovered. Cookie-authenticated requests must come from an allowed origin.',
    access: 'session',
    csrf: true,
    body: ({ maxExpiresInDays }) => createKeyBodySchema({ maxExpiresInDays }),
    bodyName: 'CreateApiKeyRequest',
    success: {
      status: 201,
      description: 'The new key, with the full secret (shown once).',
      schema: createdKeyJsonSchema,
      name: 'CreatedApiKey',
    },
    errors: [
      'VALIDATION_ERROR',
      'INVALID_JSON',
      'SESSION_REQUIRED',
      'CSRF_REJECTED',
      'KEY_LIMIT_REACHED',
      'PAYLOAD_TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
      'AUTH_UNAVAILABLE',
    ],
  },
  {
    method: 'get',
    path: '',
    operationId: 'listApiKeys',
    summary: 'List your API keys',
    description:
      "Lists the caller's keys, oldest first, revoked and expired ones included. Takes a session or an API key holding `*`.",
    access: 'session-or-key',
    csrf: false,
    success: {
      status: 200,
      description: "The caller's keys.",
      schema: keyListJsonSchema,
      name: 'ApiKeyList',
    },
    errors: ['SESSION_REQUIRED', ...API_KEY_ERRORS, 'AUTH_UNAVAILABLE'],
  },
  {
    method: 'delete',
    path: '/{id}',
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key',
    description:
      'Revokes one of your keys; every instance sharing the store refuses it from then on. An unknown id, or a key of another user, is a 404. Takes a session (CSRF-checked) or an API key holding `*`.',
    access: 'session-or-key',
    csrf: true,
    success: {
      status: 200,
      description: 'The key is revoked.',
      schema: revokedKeyJsonSchema,
      name: 'RevokedApiKey',
    },
    errors: [
      'SESSION_REQUIRED',
      ...API_KEY_ERRORS,
      'CSRF_REJECTED',
      ['KEY_NOT_FOUND', 404],
      'AUTH_UNAVAILABLE',
    ],
  },
]

/** The schema components every document holds, by name. */
export const SHARED_SCHEMAS: Readonly<Record<string, z.ZodType>> = { ApiKey: apiKeyJsonSchema }
