/**
 * The key-management routes (create, list, revoke, and the lifecycle routes) as one
 * framework-neutral handler.
 * @module
 */
import type { ApiKeyAuth, ManagementContext } from '../create-api-key-auth.js'
import { createCallerResolver } from './caller.js'
import { requestOwner, type RequestOwner } from './owner-access.js'
import type { KeyMetadata } from '../types.js'
import { AuthError } from '../errors.js'
import { singleHeaderValue } from '../lib/header-value.js'
import { type ApiKeyRoutesOptions, resolveRoutesOptions } from './routes-options.js'
import { createDocumentRoutes } from './document-routes.js'
import type { CreatedKeyJson } from './key-route-schemas.js'
import {
  asResource,
  createLifecycleRoutes,
  KEY_ACTIONS,
  revokeReasonOf,
} from './lifecycle-routes.js'
import type { AuthRequest, AuthResponse } from './types.js'
import { createEventRoutes } from './event-routes.js'

export type { ApiKeyRoutesOptions } from './routes-options.js'

/**
 * Turns a framework body parser's error on a key-management path into that route's own JSON
 * answer; `null` for another path or another error. Built by {@link createBodyErrorTranslator}.
 */
export type BodyErrorTranslator = (
  request: Pick<AuthRequest, 'path'>,
  error: unknown,
) => AuthResponse | null

/** Serves a request if it is one of the key-management routes; `null` means "not ours". */
export type ApiKeyRoutesHandler = (request: AuthRequest) => Promise<AuthResponse | null>

/** Largest accepted body of `POST <basePath>`, in bytes. */
export const MAX_BODY_BYTES = 16_384

const NO_STORE = { 'cache-control': 'no-store' }
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' }

/**
 * Builds the handler for `POST`/`GET <basePath>`, `DELETE`/`PATCH <basePath>/:id` and
 * `POST <basePath>/:id/roll|disable|enable`. Creating needs a session; everything else takes a
 * session or an API key holding `*`. Cookie-authenticated writes are CSRF-checked. Every
 * outcome is a response; it never throws.
 *
 * @example
 * ```ts
 * const routes = createApiKeyRoutes(auth)
 * const response = await routes({ method: 'GET', path: '/api/v1/api-keys', headers })
 * ```
 */
export function createApiKeyRoutes(
  auth: ApiKeyAuth,
  options: ApiKeyRoutesOptions = {},
): ApiKeyRoutesHandler {
  const settings = resolveRoutesOptions(auth, options)
  const { basePath } = settings
  if (settings.session === undefined) {
    settings.logger.warn(
      'key-management routes mounted without session options: POST answers 401 SESSION_REQUIRED to every request, and listing and revoking take only API keys holding *. Pass session to apiKeyRoutes(auth, { session }).',
      { basePath },
    )
  }
  const callerOf = createCallerResolver(auth, settings)
  const documents = createDocumentRoutes(auth, settings, callerOf)
  const lifecycle = createLifecycleRoutes(auth, callerOf, readJson, settings)
  const events = createEventRoutes(auth, callerOf, settings)

  return async (request) => {
    if (request.method !== 'OPTIONS') {
      const document = await documents(request)
      if (document !== null) return document
    }
    const route = matchRoute(request.path, basePath)
    if (route === null || request.method === 'OPTIONS') return null
    try {
      if (route.id === undefined) {
        if (request.method === 'POST') {
          const caller = await callerOf(request, false)
          return await create(auth, request, caller, await requestOwner(request, caller, settings))
        }
        if (request.method === 'GET' || request.method === 'HEAD')
          return await lifecycle.list(request)
        throw methodNotAllowed('GET, HEAD, POST')
      }
      if (route.action === 'events') {
        if (request.method !== 'GET' && request.method !== 'HEAD')
          throw methodNotAllowed('GET, HEAD')
        return await events(request, route.id)
      }
      if (route.action !== undefined) {
        if (request.method !== 'POST') throw methodNotAllowed('POST')
        return await lifecycle.action(request, route.id, route.action)
      }
      if (request.method === 'PATCH') return await lifecycle.update(request, route.id)
      if (request.method !== 'DELETE') throw methodNotAllowed('DELETE, PATCH')
      const caller = await callerOf(request, true)
      const { owner } = await requestOwner(request, caller, settings)
      const reason = revokeReasonOf(request)
      const info = await asResource(
        auth.revokeKey(
          { ...owner, keyId: route.id, ...(reason === undefined ? {} : { reason }) },
          caller.context,
        ),
      )
      return ok(200, { id: info.id, revokedAt: info.revokedAt?.toISOString() ?? null })
    } catch (error) {
      return auth.errorResponse(error)
    }
  }
}

/**
 * The answer of the key-management routes to a body parser's error (Express's `express.json()`,
 * `body-parser`, Koa's `co-body`-based parsers) on one of their paths: 400 `INVALID_JSON` for a
 * body that does not parse, 413 `PAYLOAD_TOO_LARGE`, 415 `UNSUPPORTED_MEDIA_TYPE` for an
 * unsupported charset or encoding. Other errors and other paths give `null` (not ours). The
 * error's own message, stack and `body` are never used.
 *
 * @example
 * ```ts
 * const translate = createBodyErrorTranslator(auth)
 * const response = translate({ path: req.path }, error) // null: pass the error on
 * ```
 */
export function createBodyErrorTranslator(
  auth: ApiKeyAuth,
  options: ApiKeyRoutesOptions = {},
): BodyErrorTranslator {
  const { basePath } = resolveRoutesOptions(auth, options)
  return (request, error) => {
    if (matchRoute(request.path, basePath) === null) return null
    const code = bodyParserErrorCode(error)
    return code === null ? null : auth.errorResponse(new AuthError(code))
  }
}

// body-parser and raw-body set `type`; co-body's JSON syntax errors carry only `status: 400`.
const BODY_ERROR_TYPES: Readonly<Record<string, AuthErrorCodeOfBody>> = {
  'entity.parse.failed': 'INVALID_JSON',
  'request.size.invalid': 'INVALID_JSON',
  'request.aborted': 'INVALID_JSON',
  'entity.too.large': 'PAYLOAD_TOO_LARGE',
  'parameters.too.many': 'PAYLOAD_TOO_LARGE',
  'charset.unsupported': 'UNSUPPORTED_MEDIA_TYPE',
  'encoding.unsupported': 'UNSUPPORTED_MEDIA_TYPE',
}

type AuthErrorCodeOfBody = 'INVALID_JSON' | 'PAYLOAD_TOO_LARGE' | 'UNSUPPORTED_MEDIA_TYPE'

function bodyParserErrorCode(error: unknown): AuthErrorCodeOfBody | null {
  if (typeof error !== 'object' || error === null) return null
  try {
    const { type, status, statusCode } = error as Record<string, unknown>
    if (typeof type === 'string' && Object.hasOwn(BODY_ERROR_TYPES, type)) {
      return BODY_ERROR_TYPES[type] ?? null
    }
    const httpStatus = status ?? statusCode
    if (error instanceof SyntaxError && httpStatus === 400) return 'INVALID_JSON'
    if (httpStatus === 413 && type === undefined) return 'PAYLOAD_TOO_LARGE'
    return null
  } catch {
    // A hostile getter: not a body parser's error.
    return null
  }
}

async function create(
  auth: ApiKeyAuth,
  request: AuthRequest,
  { context }: { context: ManagementContext },
  { owner, createdBy }: RequestOwner,
): Promise<AuthResponse> {
  const body = await readJson(request)
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AuthError('VALIDATION_ERROR', {
      issues: [{ path: [], message: 'Expected a JSON object' }],
    })
  }
  // Identity comes from the session only: a userId in the body is ignored, like any other field.
  const { name, scopes, expiresInDays, metadata } = body as Record<string, unknown>
  const created = await auth.createKey(
    {
      ...owner,
      ...(createdBy === undefined ? {} : { createdBy }),
      ...(metadata === undefined ? {} : { metadata: metadata as KeyMetadata }),
      name: name as string,
      scopes: scopes as string[] | undefined,
      expiresInDays: expiresInDays as number | undefined,
    },
    context,
  )
  const { apiKey } = created
  const json: CreatedKeyJson = {
    id: created.id,
    key: created.key,
    keyPrefix: created.keyPrefix,
    message: created.message,
    name: apiKey.name,
    scopes: apiKey.scopes,
    createdAt: apiKey.createdAt.toISOString(),
    expiresAt: apiKey.expiresAt?.toISOString() ?? null,
  }
  return {
    status: 201,
    headers: { ...JSON_TYPE, ...NO_STORE, pragma: 'no-cache' },
    body: json,
  }
}

async function readJson(request: AuthRequest): Promise<unknown> {
  const type = singleHeaderValue(request.headers['content-type'])
  if (type === undefined || !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type.trim())) {
    throw new AuthError('UNSUPPORTED_MEDIA_TYPE')
  }
  // A text or raw body parser leaves a string or bytes: still ours to parse, with our limits.
  let raw: Uint8Array | string | null
  if (typeof request.body === 'string' || request.body instanceof Uint8Array) raw = request.body
  else if (request.body !== undefined) return request.body
  else raw = request.readBody === undefined ? '' : await request.readBody(MAX_BODY_BYTES)
  const bytes = typeof raw === 'string' ? new TextEncoder().encode(raw).length : raw?.length
  if (raw === null || (bytes ?? 0) > MAX_BODY_BYTES) throw new AuthError('PAYLOAD_TOO_LARGE')
  try {
    const text =
      typeof raw === 'string' ? raw : new TextDecoder('utf-8', { fatal: true }).decode(raw)
    return JSON.parse(text) as unknown
  } catch {
    throw new AuthError('INVALID_JSON')
  }
}

function matchRoute(path: string, basePath: string): { id?: string; action?: string } | null {
  if (path === basePath || path === `${basePath}/`) return {}
  if (!path.startsWith(`${basePath}/`)) return null
  const parts = path.slice(basePath.length + 1).split('/')
  const [rawId = '', action] = parts
  if (rawId.length === 0 || parts.length > 2) return null
  if (action !== undefined && !KEY_ACTIONS.has(action) && action !== 'events') return null
  try {
    return { id: decodeURIComponent(rawId), ...(action === undefined ? {} : { action }) }
  } catch {
    // Not decodable, so not any key's id: the same answer as an unknown id.
    return { id: '', ...(action === undefined ? {} : { action }) }
  }
}

function methodNotAllowed(allow: string): AuthError {
  return new AuthError('METHOD_NOT_ALLOWED', { allow })
}

function ok(status: number, body: unknown): AuthResponse {
  return { status, headers: { ...JSON_TYPE, ...NO_STORE }, body }
}
