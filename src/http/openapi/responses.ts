/**
 * The response objects of the OpenAPI document: a success with its schema, and an error status
 * with its `code` enum, the headers it carries and one example per code.
 * @module
 */
import { z } from 'zod'
import { AuthError, type AuthErrorCode } from '../../errors.js'
import { errorBodySchema } from '../key-route-schemas.js'
import type { KeyRouteSpec } from './key-routes.js'

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Not authenticated',
  403: 'Forbidden',
  404: 'No such key',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Body too large',
  415: 'Unsupported media type',
  503: 'Authentication temporarily unavailable: retry after `Retry-After` seconds',
}

const CACHE_CONTROL = {
  description: 'Always `no-store`: keys and errors are never cached.',
  schema: { type: 'string', const: 'no-store' },
}

/** The success answer of a route. */
export function successResponse(success: KeyRouteSpec['success']): Record<string, unknown> {
  const headers: Record<string, unknown> = { 'Cache-Control': CACHE_CONTROL }
  if (success.status === 201) {
    headers.Pragma = { schema: { type: 'string', const: 'no-cache' } }
  }
  return {
    description: success.description,
    headers,
    content: {
      'application/json': { schema: { $ref: `#/components/schemas/${success.name}` } },
    },
  }
}

/** One error status of a route: the codes it can carry, as an enum, with an example each. */
export function errorResponse(
  status: number,
  codes: readonly AuthErrorCode[],
): Record<string, unknown> {
  const headers: Record<string, unknown> = { 'Cache-Control': CACHE_CONTROL }
  if (status === 401 && codes.some((code) => code !== 'SESSION_REQUIRED')) {
    headers['WWW-Authenticate'] = {
      description: 'The Bearer challenge (RFC 6750), on a rejected API key.',
      schema: { type: 'string' },
    }
  }
  if (status === 503) {
    headers['Retry-After'] = {
      description: 'Seconds to wait before retrying.',
      required: true,
      schema: { type: 'integer', minimum: 0 },
    }
  }
  if (status === 405) {
    headers.Allow = { required: true, schema: { type: 'string' }, example: 'GET, HEAD, POST' }
  }
  const schema = z.toJSONSchema(errorBodySchema(codes), { io: 'output' })
  delete (schema as { $schema?: string }).$schema
  return {
    description: `${STATUS_TEXT[status] ?? 'Error'}: ${codes.map((c) => `\`${c}\``).join(', ')}.`,
    headers,
    content: {
      'application/json': {
        schema,
        examples: Object.fromEntries(codes.map((code) => [code, { value: exampleOf(code) }])),
      },
    },
  }
}

function exampleOf(code: AuthErrorCode): { error: Record<string, unknown> } {
  const error: Record<string, unknown> = { code, message: new AuthError(code).message }
  if (code === 'VALIDATION_ERROR') {
    error.issues = [
      { path: ['name'], message: 'Too small: expected string to have >=1 characters' },
    ]
  }
  if (code === 'INSUFFICIENT_SCOPE') error.requiredScopes = ['*']
  return { error }
}
