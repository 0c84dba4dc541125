/**
 * `@vydra/auth/fetch`: API-key authentication and the key-management routes for anything that
 * speaks web `Request`/`Response`: `Bun.serve`, `Deno.serve`, Cloudflare Workers, Node with a
 * fetch server, and the frameworks built on them.
 * @module
 */
import {
  type ApiKeyGuardOptions,
  type ApiKeyRoutesOptions,
  createApiKeyRoutes,
  createRequestGuard,
  fromWebRequest,
  checkWebClientAddress,
  requireClientAddressSource,
  toWebResponse,
  trustedProxies,
  type WebClientAddressOption,
  webRequestAccessors,
} from '../../../src/http/index.js'
import type { ApiKeyAuth, ApiKeyPrincipal } from '../../../src/index.js'

export type { WebClientAddress, WebClientAddressOption } from '../../../src/http/index.js'

/**
 * Options of {@link requireApiKey}: the scopes the key must hold (an array: all of them;
 * `{ anyOf }`: one of them), checked at set-up, `optional` (no `Authorization` header: the
 * principal is `null`), and `clientAddress` for events and failed-authentication throttling
 * (the runtime's peer address, e.g. Bun's `server.requestIP(request)?.address`; required with
 * `limits.failedAuth` on and no trusted proxy: docs/limits.md, "Client address").
 */
export type RequireApiKeyOptions = ApiKeyGuardOptions & WebClientAddressOption

/** Options of {@link apiKeyRoutes}: the routes' options and `clientAddress` for events. */
export type FetchApiKeyRoutesOptions = ApiKeyRoutesOptions & WebClientAddressOption

/** Authenticates a web `Request`: the principal, or the `Response` to send instead. */
export type FetchApiKeyGuard = (request: Request) => Promise<ApiKeyPrincipal | Response>

/**
 * Authenticates a web `Request` that may come without a key: the principal, `null` when it has
 * no `Authorization` header, or the `Response` to send instead.
 */
export type OptionalFetchApiKeyGuard = (
  request: Request,
) => Promise<ApiKeyPrincipal | null | Response>

/**
 * Builds the check of a route: a function of a `Request` that resolves to the verified
 * principal, or to the `Response` to send (401/403/503 with the same status, JSON body and
 * `WWW-Authenticate`, `Cache-Control` and `Retry-After` headers as the Express, Fastify and Koa
 * adapters). Never rejects. Arguments are checked here, once.
 *
 * Two `Authorization` lines cannot be told apart from one through `Headers`, which joins them
 * with `", "`; the joined value is refused as 401 `INVALID_FORMAT`, never authenticated.
 *
 * @example
 * ```ts
 * const readModels = requireApiKey(auth, { scopes: ['models:read'] })
 * const principal = await readModels(request)
 * if (principal instanceof Response) return principal
 * ```
 */
export function requireApiKey(
  auth: ApiKeyAuth,
  options: RequireApiKeyOptions & { optional: true },
): OptionalFetchApiKeyGuard
/** {@inheritDoc (requireApiKey:1)} */
export function requireApiKey(auth: ApiKeyAuth, options?: RequireApiKeyOptions): FetchApiKeyGuard
export function requireApiKey(
  auth: ApiKeyAuth,
  options: RequireApiKeyOptions = {},
): OptionalFetchApiKeyGuard {
  const clientAddress = checkWebClientAddress(options.clientAddress, 'requireApiKey')
  requireClientAddressSource(auth, clientAddress, 'requireApiKey')
  // The request is read through accessors: the two headers the guard needs, by name, never a
  // copy of all of them (src/http/web-request-accessors.ts); a cache hit is decided in this turn.
  const guard = createRequestGuard(auth, options, webRequestAccessors(clientAddress))
  return async (request) => {
    const pending = guard(request)
    const result = pending instanceof Promise ? await pending : pending
    if (!result.ok) return toWebResponse(result.response, request.method)
    if ('headers' in result && result.headers !== undefined) added.set(request, result.headers)
    return result.principal
  }
}

// Headers a successful check asks the response to carry (the usage limits' RateLimit fields),
// per request, until the request is garbage.
const added = new WeakMap<Request, Record<string, string>>()

/**
 * The headers to add to your response for a request that {@link requireApiKey} let through:
 * `RateLimit-Policy` and `RateLimit` when the key has usage limits; empty otherwise.
 *
 * @example
 * ```ts
 * const key = await readModels(request)
 * if (key instanceof Response) return key
 * return Response.json({ models: [] }, { headers: responseHeaders(request) })
 * ```
 */
export function responseHeaders(request: Request): Record<string, string> {
  return added.get(request) ?? {}
}

/** The key-management routes over web `Request`/`Response`; built by {@link apiKeyRoutes}. */
export interface FetchApiKeyRoutes {
  /**
   * Serves `POST`/`GET <basePath>` and `DELETE <basePath>/:id`; any other request is a plain
   * 404, so the object can be a server's whole `fetch` handler.
   */
  fetch(request: Request): Promise<Response>
  /** The same, but `null` for a request that is not one of the routes: compose it with yours. */
  handle(request: Request): Promise<Response | null>
}

/**
 * The key-management routes as a fetch handler. Bodies are read from the request's stream with
 * the same limit (16 KiB) and the same answers as the other adapters.
 *
 * @example
 * ```ts
 * const routes = apiKeyRoutes(auth, { session })
 * Bun.serve({ fetch: routes.fetch })
 * ```
 */
export function apiKeyRoutes(
  auth: ApiKeyAuth,
  options: FetchApiKeyRoutesOptions = {},
): FetchApiKeyRoutes {
  const routes = createApiKeyRoutes(auth, options)
  const clientAddress = checkWebClientAddress(options.clientAddress, 'apiKeyRoutes')
  const handle = async (request: Request): Promise<Response | null> => {
    const response = await routes(
      fromWebRequest(request, undefined, clientAddress, trustedProxies(auth)),
    )
    return response === null ? null : toWebResponse(response, request.method)
  }
  return {
    handle,
    fetch: async (request) => (await handle(request)) ?? new Response('Not Found', { status: 404 }),
  }
}
