/**
 * The OpenAPI 3.1 document of the key-management routes, generated from the route table and the
 * zod schemas the routes validate with and answer in (zod's JSON Schema output, draft 2020-12,
 * which is OpenAPI 3.1's dialect).
 * @module
 */
import { z } from 'zod'
import type { ApiKeyAuth } from '../../create-api-key-auth.js'
import { AUTH_ERROR_STATUS, type AuthErrorCode } from '../../errors.js'
import { DEFAULTS } from '../../options/defaults.js'
import { errorBodySchema } from '../key-route-schemas.js'
import { KEY_ROUTES, type KeyRouteSpec, type RouteContext, SHARED_SCHEMAS } from './key-routes.js'
import { errorResponse, successResponse } from './responses.js'

/** Options of {@link apiKeyRoutesOpenApi}. */
export interface ApiKeyRoutesOpenApiOptions {
  /** Where the routes are mounted, as given to `apiKeyRoutes`. @defaultValue `'/api/v1/api-keys'` */
  basePath?: string
  /**
   * The service the routes serve: its `maxExpiresInDays` and scope registry (as the `scopes`
   * enum) go into the document. Without it, the defaults and the scope grammar are described.
   */
  auth?: Pick<ApiKeyAuth, 'options'>
  /** Name of the session cookie. @defaultValue `'__session'` */
  sessionCookie?: string
  /** `info.title`. @defaultValue `'API keys'` */
  title?: string
  /** `info.version`, the version of your API. @defaultValue `'1.0.0'` */
  version?: string
  /** `servers`, e.g. `[{ url: 'https://api.example.com' }]`. */
  servers?: readonly { url: string; description?: string }[]
}

/** An OpenAPI 3.1 document (JSON-serialisable). */
export interface OpenApiDocument {
  /** Always `'3.1.0'`. */
  openapi: '3.1.0'
  /** Title, version and description. */
  info: { title: string; version: string; description: string }
  /** Where the API is served. */
  servers?: { url: string; description?: string }[]
  /** The operations, by path and method. */
  paths: Record<string, Record<string, unknown>>
  /** Schemas, security schemes and shared responses. */
  components: {
    schemas: Record<string, unknown>
    securitySchemes: Record<string, unknown>
    responses: Record<string, unknown>
  }
}

/**
 * Builds the OpenAPI 3.1 document of the key-management routes (create, list, revoke, and any
 * later ones): request and answer schemas from the same zod schemas the routes use, every error
 * status with its `code` enum and an example per code, and the session-cookie and Bearer
 * security schemes. Pass the same `basePath` as to `apiKeyRoutes`.
 *
 * @example
 * ```ts
 * const document = apiKeyRoutesOpenApi({ basePath: '/api/v1/api-keys', auth })
 * writeFileSync('openapi.json', JSON.stringify(document, null, 2))
 * ```
 */
export function apiKeyRoutesOpenApi(options: ApiKeyRoutesOpenApiOptions = {}): OpenApiDocument {
  const basePath = trimSlash(options.basePath ?? DEFAULTS.basePath)
  const resolved = options.auth?.options
  const context: RouteContext = {
    maxExpiresInDays: resolved?.maxExpiresInDays ?? DEFAULTS.maxExpiresInDays,
  }
  const schemas = componentSchemas(context, resolved?.scopes)
  const paths: OpenApiDocument['paths'] = {}
  for (const route of KEY_ROUTES) {
    const path = `${basePath}${route.path}`
    paths[path] = { ...paths[path], [route.method]: operation(route) }
  }
  const document: OpenApiDocument = {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'API keys',
      version: options.version ?? '1.0.0',
      description:
        'Create, list and revoke API keys (served by @vydra/auth). Errors are `{ "error": { "code", "message" } }` with the codes listed per status. Any other method on these paths answers 405 `METHOD_NOT_ALLOWED` with an `Allow` header.',
    },
    paths,
    components: {
      schemas,
      securitySchemes: securitySchemes(options.sessionCookie ?? DEFAULTS.sessionCookie),
      responses: { MethodNotAllowed: errorResponse(405, ['METHOD_NOT_ALLOWED']) },
    },
  }
  if (options.servers !== undefined) document.servers = options.servers.map((s) => ({ ...s }))
  return document
}

function operation(route: KeyRouteSpec): Record<string, unknown> {
  const byStatus = new Map<number, AuthErrorCode[]>()
  for (const entry of route.errors) {
    const [code, status] = typeof entry === 'string' ? [entry, AUTH_ERROR_STATUS[entry]] : entry
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  const responses: Record<string, unknown> = {
    [route.success.status]: successResponse(route.success),
  }
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[status] = errorResponse(status, codes)
  }
  const op: Record<string, unknown> = {
    operationId: route.operationId,
    summary: route.summary,
    description: route.description,
    tags: ['API keys'],
    security:
      route.access === 'session'
        ? [{ sessionCookie: [] }]
        : [{ sessionCookie: [] }, { apiKey: [] }],
    responses,
  }
  if (route.path.includes('{id}')) {
    op.parameters = [
      {
        name: 'id',
        in: 'path',
        required: true,
        description: 'The key id (a UUID); anything else is an unknown key: 404.',
        schema: { type: 'string' },
        example: '3f6c1c9e-2b7a-4d55-9a51-2f0f1d5b8c41',
      },
    ]
  }
  if (route.query !== undefined) {
    op.parameters = [
      ...((op.parameters as unknown[] | undefined) ?? []),
      ...route.query.map((q) => ({ ...q, in: 'query', required: false })),
    ]
  }
  if (route.bodyName !== undefined) {
    op.requestBody = {
      required: route.bodyOptional !== true,
      content: {
        'application/json': {
          schema: { $ref: `#/components/schemas/${route.bodyName}` },
          example: route.example ?? {
            name: 'CI deploys',
            scopes: ['models:read'],
            expiresInDays: 90,
          },
        },
      },
    }
  }
  return op
}

// Every body and answer schema of the table, converted in one registry so shared ones are $refs.
function componentSchemas(
  context: RouteContext,
  registryScopes: readonly string[] | undefined,
): Record<string, unknown> {
  const registry = z.registry<{ id: string }>()
  for (const [id, schema] of Object.entries(SHARED_SCHEMAS)) registry.add(schema, { id })
  for (const route of KEY_ROUTES) {
    if (route.body !== undefined && route.bodyName !== undefined) {
      registry.add(route.body(context), { id: route.bodyName })
    }
    if (!registry.has(route.success.schema)) {
      registry.add(route.success.schema, { id: route.success.name })
    }
  }
  registry.add(errorBodySchema(Object.keys(AUTH_ERROR_STATUS) as AuthErrorCode[]), {
    id: 'Error',
  })
  const converted = z.toJSONSchema(registry, {
    uri: (id) => `#/components/schemas/${id}`,
    io: 'output',
    unrepresentable: 'any',
  }).schemas
  const schemas: Record<string, unknown> = {}
  for (const [id, schema] of Object.entries(converted)) {
    const { $schema: _dialect, $id: _id, ...rest } = schema as Record<string, unknown>
    schemas[id] = rest
  }
  if (registryScopes !== undefined) restrictScopes(schemas, registryScopes)
  return schemas
}

// With a registry, a key may be granted exactly the registry's scopes and `*`.
function restrictScopes(schemas: Record<string, unknown>, known: readonly string[]): void {
  for (const route of KEY_ROUTES) {
    if (route.bodyName === undefined) continue
    const body = schemas[route.bodyName] as { properties?: Record<string, { items?: object }> }
    const scopes = body.properties?.scopes
    if (scopes?.items !== undefined) {
      scopes.items = { ...scopes.items, enum: [...new Set([...known, '*'])] }
    }
  }
}

function securitySchemes(cookie: string): Record<string, unknown> {
  return {
    sessionCookie: {
      type: 'apiKey',
      in: 'cookie',
      name: cookie,
      description:
        "Your application's session (a JWT in this cookie, or your own `session.authenticate`). Cookie-authenticated writes must come from an allowed origin (CSRF check).",
    },
    apiKey: {
      type: 'http',
      scheme: 'bearer',
      description: 'An API key holding the `*` scope (listing and revoking only).',
    },
  }
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}
