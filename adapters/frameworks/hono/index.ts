/**
 * `@vydra/auth/hono`: API-key middleware and the key-management routes (a Hono sub-app) for
 * Hono 4, on any runtime Hono runs on.
 * @module
 */
import { type Context, Hono, type MiddlewareHandler, type Next } from 'hono'
import { basePath } from 'hono/route'
import {
  type ApiKeyGuardOptions,
  type ApiKeyRoutesOptions,
  type AuthRequest,
  createApiKeyRoutes,
  createRequestGuard,
  checkWebClientAddress,
  clientAddressOf,
  type OptionalAuthResult,
  readWebBody,
  requireClientAddressSource,
  trustedProxies,
  resolveClientAddress,
  toWebResponse,
  webHeaders,
} from '../../../src/http/index.js'
import type { ApiKeyAuth, ApiKeyPrincipal } from '../../../src/index.js'
import { honoRequestAccessors } from './context-accessors.js'

/** How the Hono adapter finds the client address for events. */
export interface HonoClientAddressOption {
  /**
   * Resolves the client's address for the `auth.denied` and `key.*` events and for
   * failed-authentication throttling, from the context: e.g. `(c) => getConnInfo(c).remote.address`
   * with the `getConnInfo` of your runtime's adapter (`hono/bun`, `hono/deno`,
   * `@hono/node-server/conninfo`), or a header your platform sets. Behind
   * `limits.failedAuth.trustProxy` proxies, `X-Forwarded-For` decides instead; with
   * `limits.failedAuth` on and no trusted proxy it is required (docs/limits.md, "Client address").
   * Without it, events carry the method and path only.
   */
  clientAddress?: (c: Context) => string | undefined
}

/**
 * Options of {@link requireApiKey}: the scopes the key must hold (an array: all of them;
 * `{ anyOf }`: one of them), checked at set-up, `optional` (no `Authorization` header:
 * `c.get('auth')` is `null`), and `clientAddress` for events.
 */
export type RequireApiKeyOptions = ApiKeyGuardOptions & HonoClientAddressOption

/** Options of {@link apiKeyRoutes}: the routes' options and `clientAddress` for events. */
export type HonoApiKeyRoutesOptions = ApiKeyRoutesOptions & HonoClientAddressOption

/** The variables {@link requireApiKey} sets: `c.get('auth')` is the verified key. */
export interface ApiKeyVariables {
  /** The verified API key. */
  auth: ApiKeyPrincipal
}

/** The variables of an optional {@link requireApiKey}: `null` without an `Authorization` header. */
export interface OptionalApiKeyVariables {
  /** The verified API key, or `null` when the request carried none. */
  auth: ApiKeyPrincipal | null
}

/**
 * Middleware that lets a request through only with a valid API key holding `scopes`; the
 * principal is then `c.get('auth')`, typed through the middleware's `Variables`. Anything else is
 * answered here (401/403/503, byte for byte as the other adapters). With `optional: true`, a
 * request without an `Authorization` header goes through with `c.get('auth')` `null`.
 *
 * @example
 * ```ts
 * app.get('/api/v1/models', requireApiKey(auth, { scopes: ['models:read'] }), (c) =>
 *   c.json({ userId: c.get('auth').userId }),
 * )
 * ```
 */
export function requireApiKey(
  auth: ApiKeyAuth,
  options: RequireApiKeyOptions & { optional: true },
): MiddlewareHandler<{ Variables: OptionalApiKeyVariables }>
/** {@inheritDoc (requireApiKey:1)} */
export function requireApiKey(
  auth: ApiKeyAuth,
  options?: RequireApiKeyOptions,
): MiddlewareHandler<{ Variables: ApiKeyVariables }>
export function requireApiKey(
  auth: ApiKeyAuth,
  options: RequireApiKeyOptions = {},
):
  | MiddlewareHandler<{ Variables: ApiKeyVariables }>
  | MiddlewareHandler<{ Variables: OptionalApiKeyVariables }> {
  const resolver = checkWebClientAddress(options.clientAddress, 'requireApiKey')
  requireClientAddressSource(auth, resolver, 'requireApiKey')
  const guard = createRequestGuard(auth, options, honoRequestAccessors(resolver))
  // One middleware for both overloads: without `optional` the guard never yields `null`.
  // Not an async function: on a cache hit the guard answers in this turn and the middleware
  // returns Hono's own `next()` promise, with no `await` and no promise of its own in between
  // (as the Express and Koa adapters do; docs/benchmarks.md, "Hono adapter"). The guard never
  // rejects. Pinned by test/hot-path.test.ts.
  const middleware: MiddlewareHandler<{ Variables: OptionalApiKeyVariables }> = (c, next) => {
    const result = guard(c)
    if (!(result instanceof Promise)) return finish(c, next, result)
    return result.then((settled) => finish(c, next, settled))
  }
  return middleware
}

function finish(
  c: Context<{ Variables: OptionalApiKeyVariables }>,
  next: Next,
  result: OptionalAuthResult,
): Promise<Response | void> {
  if (!result.ok) return Promise.resolve(toWebResponse(result.response, c.req.method))
  c.set('auth', result.principal)
  const extra = 'headers' in result ? result.headers : undefined
  if (extra === undefined) return next()
  return next().then(() => addHeaders(c, extra))
}

// The usage limits' RateLimit fields, on the handler's response (a copy when its headers are
// immutable, as a fetched response's are).
function addHeaders(c: Context, extra: Readonly<Record<string, string>>): void {
  try {
    for (const [name, value] of Object.entries(extra)) c.res.headers.set(name, value)
  } catch {
    const copy = new Response(c.res.body, c.res)
    for (const [name, value] of Object.entries(extra)) copy.headers.set(name, value)
    c.res = copy
  }
}

/**
 * A Hono app serving `POST`/`GET /api/v1/api-keys` and `DELETE /api/v1/api-keys/:id`; mount it
 * with `app.route('/', apiKeyRoutes(auth))` (or under a prefix). Other requests fall through. It
 * reads the body itself (JSON, at most 16 KiB); a body a middleware already read is taken from
 * Hono's cache, with the same limit.
 *
 * @example
 * ```ts
 * app.route('/', apiKeyRoutes(auth, { session }))
 * ```
 */
export function apiKeyRoutes(auth: ApiKeyAuth, options: HonoApiKeyRoutesOptions = {}): Hono {
  const routes = createApiKeyRoutes(auth, options)
  const resolver = checkWebClientAddress(options.clientAddress, 'apiKeyRoutes')
  const base = options.basePath ?? '/api/v1/api-keys'
  const app = new Hono()
  const handler = async (c: Context, next: () => Promise<void>): Promise<Response | void> => {
    const response = await routes(toAuthRequest(c, resolver, trustedProxies(auth)))
    if (response === null) return next()
    return toWebResponse(response, c.req.method)
  }
  app.all(base, handler)
  app.all(`${base}/*`, handler)
  return app
}

function toAuthRequest(
  c: Context,
  resolver: HonoClientAddressOption['clientAddress'],
  trust: number,
): AuthRequest {
  const raw = c.req.raw
  const headers = webHeaders(raw.headers)
  // The library's rule: the resolver's peer, or X-Forwarded-For behind trusted proxies.
  const address = clientAddressOf(resolveClientAddress(resolver, c), headers, trust)
  const url = new URL(raw.url)
  // The path below where the sub-app is mounted, still percent-encoded as the other adapters see it.
  const prefix = basePath(c)
  const path =
    prefix === '/' || prefix === ''
      ? url.pathname
      : url.pathname.startsWith(prefix)
        ? url.pathname.slice(prefix.length)
        : c.req.path.slice(prefix.length)
  return {
    ...(address === undefined ? {} : { clientAddress: address }),
    method: raw.method.toUpperCase(),
    path,
    query: url.search.slice(1),
    headers,
    protocol: url.protocol.slice(0, -1),
    readBody: async (limit) => {
      if (!raw.bodyUsed) return readWebBody(raw, limit)
      const bytes = new Uint8Array(await c.req.arrayBuffer())
      return bytes.byteLength > limit ? null : bytes
    },
  }
}
