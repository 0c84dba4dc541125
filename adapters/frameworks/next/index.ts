/**
 * `@vydra/auth/next`: wrappers for Next.js App Router route handlers (`app/**\/route.ts`), on the
 * Node.js and the edge runtime. Route handlers are web `Request` → `Response` functions, so this
 * is the fetch adapter in Next's shape; it imports nothing from `next`.
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
  trustedProxies,
  toWebResponse,
  type WebClientAddressOption,
  webRequestAccessors,
} from '../../../src/http/index.js'
import type { ApiKeyAuth, ApiKeyPrincipal } from '../../../src/index.js'

export type { WebClientAddress, WebClientAddressOption } from '../../../src/http/index.js'

/**
 * Options of {@link withApiKey}: the scopes the key must hold (an array: all of them;
 * `{ anyOf }`: one of them), checked at set-up, and `optional` (no `Authorization` header: the
 * handler gets `null`), and `clientAddress` for events (Next.js gives a route handler no
 * address: on Vercel, `(request) => request.headers.get('x-real-ip') ?? undefined`).
 */
export type WithApiKeyOptions = ApiKeyGuardOptions & WebClientAddressOption

/** Options of {@link apiKeyRoutes}: the routes' options and `clientAddress` for events. */
export type NextApiKeyRoutesOptions = ApiKeyRoutesOptions & WebClientAddressOption

/** A route handler as Next.js calls it: the request and its context (`{ params }`). */
export type RouteHandler<R extends Request, C> = (request: R, context: C) => Promise<Response>

/**
 * Wraps a route handler so that it runs only with a valid API key holding `scopes`; the
 * principal is its third argument. Anything else is answered here (401/403/503, byte for byte as
 * the other adapters). With `optional: true`, a request without an `Authorization` header runs
 * the handler with `null`.
 *
 * @example
 * ```ts
 * // app/api/v1/models/route.ts
 * export const GET = withApiKey(auth, { scopes: ['models:read'] }, async (request, context, key) =>
 *   Response.json({ userId: key.userId }),
 * )
 * ```
 */
export function withApiKey<R extends Request, C>(
  auth: ApiKeyAuth,
  options: WithApiKeyOptions & { optional: true },
  handler: (
    request: R,
    context: C,
    principal: ApiKeyPrincipal | null,
  ) => Response | Promise<Response>,
): RouteHandler<R, C>
/** {@inheritDoc (withApiKey:1)} */
export function withApiKey<R extends Request, C>(
  auth: ApiKeyAuth,
  options: WithApiKeyOptions,
  handler: (request: R, context: C, principal: ApiKeyPrincipal) => Response | Promise<Response>,
): RouteHandler<R, C>
export function withApiKey<R extends Request, C>(
  auth: ApiKeyAuth,
  options: WithApiKeyOptions,
  handler: (request: R, context: C, principal: ApiKeyPrincipal) => Response | Promise<Response>,
): RouteHandler<R, C> {
  const clientAddress = checkWebClientAddress(options.clientAddress, 'withApiKey')
  requireClientAddressSource(auth, clientAddress, 'withApiKey')
  // Read by name, never a copy of every header (src/http/web-request-accessors.ts).
  const guard = createRequestGuard(auth, options, webRequestAccessors(clientAddress))
  const run = handler as (
    request: R,
    context: C,
    principal: ApiKeyPrincipal | null,
  ) => Response | Promise<Response>
  return async (request, context) => {
    const pending = guard(request)
    const result = pending instanceof Promise ? await pending : pending
    if (!result.ok) return toWebResponse(result.response, request.method)
    const response = await run(request, context, result.principal)
    if (!('headers' in result) || result.headers === undefined) return response
    // The usage limits' RateLimit fields, on a copy: a fetched Response's headers are immutable.
    const withHeaders = new Response(response.body, response)
    for (const [name, value] of Object.entries(result.headers)) {
      withHeaders.headers.set(name, value)
    }
    return withHeaders
  }
}

/** The route handlers of the key-management routes, for one `route.ts`. */
export interface ApiKeyRouteHandlers {
  /** Lists keys. */
  GET(request: Request): Promise<Response>
  /** Lists keys, without a body. */
  HEAD(request: Request): Promise<Response>
  /** Creates a key (session only). */
  POST(request: Request): Promise<Response>
  /** Revokes a key. */
  DELETE(request: Request): Promise<Response>
}

/**
 * The key-management routes as App Router handlers. Export them from
 * `app/api/v1/api-keys/[[...id]]/route.ts` (the optional catch-all serves both the list and
 * `/:id`); `basePath` must be the URL path of that folder. A path that is not one of the routes
 * (`/api/v1/api-keys/a/b`) is a plain 404.
 *
 * @example
 * ```ts
 * // app/api/v1/api-keys/[[...id]]/route.ts
 * export const { GET, HEAD, POST, DELETE } = apiKeyRoutes(auth, { session })
 * ```
 */
export function apiKeyRoutes(
  auth: ApiKeyAuth,
  options: NextApiKeyRoutesOptions = {},
): ApiKeyRouteHandlers {
  const routes = createApiKeyRoutes(auth, options)
  const clientAddress = checkWebClientAddress(options.clientAddress, 'apiKeyRoutes')
  const handle = async (request: Request): Promise<Response> => {
    const response = await routes(
      fromWebRequest(request, undefined, clientAddress, trustedProxies(auth)),
    )
    if (response === null) return new Response('Not Found', { status: 404 })
    return toWebResponse(response, request.method)
  }
  return { GET: handle, HEAD: handle, POST: handle, DELETE: handle }
}
