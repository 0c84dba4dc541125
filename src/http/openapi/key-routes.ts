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
  rollBodySchema,
  rolledKeyJsonSchema,
  updateBodySchema,
} from '../key-route-schemas.js'
import { AUDIT_ROUTES } from './audit-routes.js'

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
  /** The body may be left out (the defaults apply). */
  bodyOptional?: boolean
  /** An example body (the create example otherwise). */
  example?: unknown
  /** Query parameters. */
  query?: readonly { name: string; description: string; schema: Record<string, unknown> }[]
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
  'KEY_DISABLED',
  'INSUFFICIENT_SCOPE',
]

// A lifecycle operation on one key: the id's errors, CSRF, state conflicts, a store without it.
const KEY_OPERATION_ERRORS: KeyRouteSpec['errors'] = [
  'SESSION_REQUIRED',
  ...API_KEY_ERRORS,
  'CSRF_REJECTED',
  ['KEY_NOT_FOUND', 404],
  'KEY_STATE_CONFLICT',
  'NOT_SUPPORTED',
  'AUTH_UNAVAILABLE',
]
const BODY_ERRORS: readonly AuthErrorCode[] = [
  'VALIDATION_ERROR',
  'INVALID_JSON',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
]
const keyOperation = (
  action: 'disable' | 'enable',
  summary: string,
  description: string,
): KeyRouteSpec => ({
  method: 'post',
  path: `/{id}/${action}`,
  operationId: `${action}ApiKey`,
  summary,
  description,
  access: 'session-or-key',
  csrf: true,
  success: { status: 200, description: 'The key.', schema: apiKeyJsonSchema, name: 'ApiKey' },
  errors: KEY_OPERATION_ERRORS,
})

// Issue 11: roll, disable, enable, update.
const LIFECYCLE_ROUTES: readonly KeyRouteSpec[] = [
  {
    method: 'post',
    path: '/{id}/roll',
    operationId: 'rollApiKey',
    summary: 'Roll an API key',
    description:
      "Issues a new key copying the old one (name, scopes, metadata, expiry) and shows it once; the old key keeps working for the grace period (`gracePeriodMs`, capped by the server; 0 revokes it now), from now or from the new key's first use. Rolling a key already rolled within its grace rolls its replacement.",
    access: 'session-or-key',
    csrf: true,
    body: () => rollBodySchema,
    bodyName: 'RollApiKeyRequest',
    bodyOptional: true,
    example: { gracePeriodMs: 86_400_000, graceStarts: 'now' },
    success: {
      status: 201,
      description: "The new key, with the full secret (shown once), and the old key's end.",
      schema: rolledKeyJsonSchema,
      name: 'RolledApiKey',
    },
    errors: [...KEY_OPERATION_ERRORS, ...BODY_ERRORS],
  },
  keyOperation(
    'disable',
    'Disable an API key',
    'Suspends a key: every instance answers 401 `KEY_DISABLED` to it until it is enabled again.',
  ),
  keyOperation(
    'enable',
    'Enable an API key',
    'Lifts a suspension. A revoked key cannot be enabled (409).',
  ),
  {
    method: 'patch',
    path: '/{id}',
    operationId: 'updateApiKey',
    summary: 'Rename, annotate or narrow an API key',
    description:
      'Renames a key, replaces its metadata, or narrows it (fewer scopes, an earlier expiry). Widening is 400 `VALIDATION_ERROR` naming the field; unknown fields are refused.',
    access: 'session-or-key',
    csrf: true,
    body: () => updateBodySchema,
    bodyName: 'UpdateApiKeyRequest',
    example: { name: 'CI deploys (read only)', scopes: ['models:read'] },
    success: {
      status: 200,
      description: 'The updated key.',
      schema: apiKeyJsonSchema,
      name: 'ApiKey',
    },
    errors: [...KEY_OPERATION_ERRORS, ...BODY_ERRORS],
  },
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
    query: [
      {
        name: 'limit',
        description: 'Keys per page, 1–200 (default 50).',
        schema: { type: 'integer', minimum: 1, maximum: 200 },
      },
      {
        name: 'cursor',
        description: 'The `nextCursor` of the previous page.',
        schema: { type: 'string' },
      },
      {
        name: 'status',
        description: 'Which keys (default `all`).',
        schema: { type: 'string', enum: ['active', 'disabled', 'revoked', 'expired', 'all'] },
      },
    ],
    success: {
      status: 200,
      description: "One page of the caller's keys.",
      schema: keyListJsonSchema,
      name: 'ApiKeyList',
    },
    errors: ['SESSION_REQUIRED', ...API_KEY_ERRORS, 'VALIDATION_ERROR', 'AUTH_UNAVAILABLE'],
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
      'VALIDATION_ERROR',
      'AUTH_UNAVAILABLE',
    ],
  },
  ...LIFECYCLE_ROUTES,
  ...AUDIT_ROUTES,
]

/** The schema components every document holds, by name. */
export const SHARED_SCHEMAS: Readonly<Record<string, z.ZodType>> = { ApiKey: apiKeyJsonSchema }
