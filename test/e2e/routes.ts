/** The protected routes of the test service and what every app of it needs; no Node imports. */
import type { ApiKeyAuth, ApiKeyPrincipal, RequiredScopes } from '../../src/index.js'

/** A protected route of the test service. */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'DELETE'
  path: string
  scopes: RequiredScopes
  /** Serves requests without an `Authorization` header too, with no principal. */
  optional?: boolean
  /** Guarded by the service whose store always fails. */
  failing?: boolean
  /** Units the route charges against the key's usage limits (issue 12). */
  cost?: number
}

/** The protected routes: one per scope the seed page lists, and a few more. */
export const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/api/v1/models', scopes: ['models:read'] },
  { method: 'POST', path: '/api/v1/models/generate', scopes: ['models:write'] },
  { method: 'DELETE', path: '/api/v1/models/cache', scopes: ['models:*'] },
  { method: 'GET', path: '/api/v1/jobs', scopes: ['jobs:read'] },
  { method: 'POST', path: '/api/v1/jobs', scopes: ['jobs:write'] },
  { method: 'POST', path: '/api/v1/upload', scopes: ['upload:write'] },
  { method: 'GET', path: '/api/v1/account', scopes: ['account:read'] },
  { method: 'GET', path: '/api/v1/admin', scopes: ['*'] },
  { method: 'GET', path: '/api/v1/reports', scopes: ['models:read', 'jobs:read', 'account:read'] },
  // Issue 15: a public route that gives more with a key, one with a scope, and any-of scopes.
  { method: 'GET', path: '/api/v1/catalog', scopes: [], optional: true },
  { method: 'GET', path: '/api/v1/catalog/models', scopes: ['models:read'], optional: true },
  { method: 'GET', path: '/api/v1/feed', scopes: { anyOf: ['jobs:read', 'account:read'] } },
  {
    method: 'GET',
    path: '/api/v1/feed/public',
    scopes: { anyOf: ['jobs:read', 'account:read'] },
    optional: true,
  },
  { method: 'GET', path: '/api/v1/fragile/optional', scopes: [], optional: true, failing: true },
  // Issue 12: a route that costs 5 units of the key's usage limits.
  { method: 'POST', path: '/api/v1/batch', scopes: ['models:read'], cost: 5 },
]

/** The service guarding `route`. */
export const serviceOf = (ctx: AppContext, route: RouteSpec): ApiKeyAuth =>
  route.failing === true ? ctx.failing : ctx.auth

/** The guard options of `route`, as every app passes them. */
export const guardOptions = (
  route: RouteSpec,
): { scopes: RequiredScopes; optional?: boolean; cost?: number } => ({
  scopes: route.scopes,
  ...(route.optional === true ? { optional: true } : {}),
  ...(route.cost === undefined ? {} : { cost: route.cost }),
})

/** What the service needs besides the auth service. */
export interface AppContext {
  auth: ApiKeyAuth
  /** An auth service whose store always fails, for `/api/v1/fragile`. */
  failing: ApiKeyAuth
  /** Called by every protected handler that runs. */
  onHit(path: string, principal: ApiKeyPrincipal | null | undefined): void
  /** Errors the framework itself reported (its error handler, its logger). */
  frameworkErrors: string[]
}

/** A started service. */
export interface RunningApp {
  url: string
  close(): Promise<void>
}

export const echo = (path: string, principal: ApiKeyPrincipal | null | undefined): unknown => ({
  route: path,
  userId: principal?.userId,
  keyId: principal?.keyId,
  scopes: principal?.scopes,
})
