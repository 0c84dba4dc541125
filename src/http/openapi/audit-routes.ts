/**
 * `GET <basePath>/{id}/events` in the table the OpenAPI document is generated from (see
 * `key-routes.ts`). Internal module.
 * @module
 */
import { auditPageJsonSchema } from '../audit-route-schemas.js'
import type { KeyRouteSpec } from './key-routes.js'

/** The audit log's routes. */
export const AUDIT_ROUTES: readonly KeyRouteSpec[] = [
  {
    method: 'get',
    path: '/{id}/events',
    operationId: 'listApiKeyEvents',
    summary: "List an API key's audit log",
    description:
      'Who created, rolled, updated, disabled, enabled or revoked the key, when, from where and why: newest first, one page at a time. Takes a session or an API key holding `*`; an unknown id, or a key of another owner, is a 404. Answers 501 `NOT_SUPPORTED` when the service keeps no audit log.',
    access: 'session-or-key',
    csrf: false,
    query: [
      {
        name: 'limit',
        description: 'Records per page, 1–200 (default 50).',
        schema: { type: 'integer', minimum: 1, maximum: 200 },
      },
      {
        name: 'cursor',
        description: 'The `nextCursor` of the previous page.',
        schema: { type: 'string' },
      },
    ],
    success: {
      status: 200,
      description: "One page of the key's audit records, newest first.",
      schema: auditPageJsonSchema,
      name: 'ApiKeyEventList',
    },
    errors: [
      'SESSION_REQUIRED',
      'MISSING_AUTH',
      'INVALID_FORMAT',
      'KEY_NOT_FOUND',
      'KEY_REVOKED',
      'KEY_EXPIRED',
      'KEY_DISABLED',
      'INSUFFICIENT_SCOPE',
      ['KEY_NOT_FOUND', 404],
      'VALIDATION_ERROR',
      'NOT_SUPPORTED',
      'AUTH_UNAVAILABLE',
    ],
  },
]
