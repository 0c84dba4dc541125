/**
 * The key-lifecycle routes: `POST <basePath>/:id/roll|disable|enable`, `PATCH <basePath>/:id`,
 * and the paged list `GET <basePath>?limit=&cursor=&status=`. Bodies and queries are validated
 * with zod (400 naming the field); an unknown or foreign id is the same 404 as on `DELETE`.
 * Internal module; `createApiKeyRoutes` dispatches to it.
 * @module
 */
import type { z } from 'zod'
import type { ApiKeyAuth, ManagementContext } from '../create-api-key-auth.js'
import { AuthError, isAuthError, type ValidationIssue } from '../errors.js'
import { apiKeyToJson } from '../key-json.js'
import { singleHeaderValue } from '../lib/header-value.js'
import type { ApiKeyInfo, KeyMetadata } from '../types.js'
import type { CallerResolver } from './caller.js'
import {
  listQuerySchema,
  rollBodySchema,
  updateBodySchema,
  type ApiKeyJson,
  type RolledKeyJson,
} from './key-route-schemas.js'
import { requestOwner, type RequestOwner } from './owner-access.js'
import type { RoutesSettings } from './routes-options.js'
import type { AuthRequest, AuthResponse } from './types.js'

/** The actions of `POST <basePath>/:id/<action>`. */
export const KEY_ACTIONS = new Set(['roll', 'disable', 'enable'])

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
}

/** Reads a JSON body (the routes' own reader, with its limits and errors). */
export type JsonReader = (request: AuthRequest) => Promise<unknown>

/** The lifecycle routes over one caller resolver. */
export interface LifecycleRoutes {
  /** `POST <basePath>/:id/<action>`. */
  action(request: AuthRequest, id: string, action: string): Promise<AuthResponse>
  /** `PATCH <basePath>/:id`. */
  update(request: AuthRequest, id: string): Promise<AuthResponse>
  /** `GET <basePath>`: one page. */
  list(request: AuthRequest): Promise<AuthResponse>
}

/** Builds the lifecycle routes. */
export function createLifecycleRoutes(
  auth: ApiKeyAuth,
  callerOf: CallerResolver,
  readJson: JsonReader,
  settings: Pick<RoutesSettings, 'canManage'>,
): LifecycleRoutes {
  // The caller, then whose keys they manage (their own, or an owner `canManage` allows), with
  // the change's context (actor, request) for events and the audit log.
  const ownerOf = async (
    request: AuthRequest,
  ): Promise<RequestOwner & { context: ManagementContext }> => {
    const caller = await callerOf(request, true)
    return { ...(await requestOwner(request, caller, settings)), context: caller.context }
  }
  return {
    action: async (request, id, action) => {
      if (action === 'roll') {
        // The body is optional: no Content-Type means "the defaults".
        const { owner, createdBy, context } = await ownerOf(request)
        const hasBody = singleHeaderValue(request.headers['content-type']) !== undefined
        const body = parse(rollBodySchema, hasBody ? await readJson(request) : {})
        const actorId = createdBy ?? owner.userId
        const rolled = await asResource(
          auth.rollKey(
            { ...owner, keyId: id, ...body, ...(actorId === undefined ? {} : { actorId }) },
            context,
          ),
        )
        const json: RolledKeyJson = {
          id: rolled.id,
          key: rolled.key,
          keyPrefix: rolled.keyPrefix,
          message: rolled.message,
          name: rolled.apiKey.name,
          scopes: rolled.apiKey.scopes,
          createdAt: rolled.apiKey.createdAt.toISOString(),
          expiresAt: iso(rolled.apiKey.expiresAt),
          previous: { id: rolled.previous.id, expiresAt: iso(rolled.previous.expiresAt) },
        }
        return { status: 201, headers: { ...JSON_HEADERS, pragma: 'no-cache' }, body: json }
      }
      const { owner, context } = await ownerOf(request)
      const input = { ...owner, keyId: id }
      const info = await asResource(
        action === 'disable' ? auth.disableKey(input, context) : auth.enableKey(input, context),
      )
      return { status: 200, headers: JSON_HEADERS, body: keyToJson(info) }
    },

    update: async (request, id) => {
      const { owner, context } = await ownerOf(request)
      const raw = await readJson(request)
      const body = parse(updateBodySchema, raw)
      // The metadata as sent, not zod's copy: a record schema drops a `__proto__` key, which the
      // service must see to refuse it (400 naming metadata) instead of storing `{}`.
      const metadata =
        body.metadata === undefined ? {} : { metadata: (raw as { metadata: KeyMetadata }).metadata }
      const info = await asResource(
        auth.updateKey(
          {
            ...owner,
            keyId: id,
            ...(body as Omit<typeof body, 'metadata'>),
            ...metadata,
            // A key's owner may lower their limits, never raise them (docs/limits.md).
            limitsNarrowOnly: true,
          },
          context,
        ),
      )
      return { status: 200, headers: JSON_HEADERS, body: keyToJson(info) }
    },

    list: async (request) => {
      const { owner } = await ownerOf(request)
      const query = parse(listQuerySchema, queryObject(request.query))
      const page = await auth.listKeyPage({ ...owner, ...query })
      return {
        status: 200,
        headers: JSON_HEADERS,
        body: { keys: page.keys.map(keyToJson), nextCursor: page.nextCursor },
      }
    },
  }
}

/** The `reason` query parameter of `DELETE <basePath>/:id`, if any. */
export function revokeReasonOf(request: AuthRequest): string | undefined {
  const reason = new URLSearchParams(request.query ?? '').get('reason')
  return reason === null ? undefined : reason
}

/** A key as the routes show it: the core's view, which the CLI prints too. */
export function keyToJson(info: ApiKeyInfo): ApiKeyJson {
  return apiKeyToJson(info)
}

/** An unknown or foreign id is a missing resource on these routes, not a bad credential: 404. */
export function asResource<T>(operation: Promise<T>): Promise<T> {
  return operation.catch((error: unknown) => {
    if (!isAuthError(error) || error.code !== 'KEY_NOT_FOUND') throw error
    throw new AuthError('KEY_NOT_FOUND', { message: error.message, resource: true })
  })
}

const iso = (date: Date | null): string | null => date?.toISOString() ?? null

// A JSON object validated by `schema`; anything else is 400 naming the field.
function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AuthError('VALIDATION_ERROR', {
      issues: [{ path: [], message: 'Expected a JSON object' }],
    })
  }
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  const issues: ValidationIssue[] = parsed.error.issues.map((issue) => ({
    path: issue.path.filter((p): p is string | number => typeof p !== 'symbol'),
    message: issue.message,
  }))
  throw new AuthError('VALIDATION_ERROR', { issues })
}

// The query string as an object of its first values (a repeated parameter keeps the first).
function queryObject(query: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of new URLSearchParams(query ?? '')) {
    if (!Object.hasOwn(out, name) && ['limit', 'cursor', 'status'].includes(name)) out[name] = value
  }
  return out
}
