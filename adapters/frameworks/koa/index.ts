/**
 * `@vydra/auth/koa`: API-key middleware and the key-management routes for Koa 2 and 3.
 * @module
 */
import type { Context, Middleware, Next } from 'koa'
import {
  type ApiKeyRoutesOptions,
  type AuthRequest,
  type AuthResponse,
  clientAddressOf,
  createApiKeyRoutes,
  createRequestGuard,
  createBodyErrorTranslator,
  createSecretScanningHandler,
  readBody,
  type OptionalAuthResult,
  type RequestAccessors,
  type SecretScanningOptions,
  type ApiKeyGuardOptions,
  trustedProxies,
} from '../../../src/http/index.js'
import type { ApiKeyAuth, ApiKeyPrincipal } from '../../../src/index.js'

declare module 'koa' {
  interface DefaultState {
    /** The verified API key, set by `requireApiKey`. */
    auth?: ApiKeyPrincipal
  }
}

/**
 * Options of {@link requireApiKey}: the scopes the key must hold (an array: all of them;
 * `{ anyOf }`: one of them), checked at set-up, and `optional` (no `Authorization` header: the
 * handler runs without a principal).
 */
export type RequireApiKeyOptions = ApiKeyGuardOptions

/**
 * Middleware that lets a request through only with a valid API key holding `scopes`; the
 * principal is then at `ctx.state.auth`. Anything else is answered here (401/403/503).
 *
 * @example
 * ```ts
 * router.get('/api/v1/models', requireApiKey(auth, { scopes: ['models:read'] }), handler)
 * ```
 */
export function requireApiKey(auth: ApiKeyAuth, options: RequireApiKeyOptions = {}): Middleware {
  const guard = createRequestGuard(auth, options, KOA_REQUEST)
  return (ctx, next) => {
    const result: OptionalAuthResult | Promise<OptionalAuthResult> = guard(ctx)
    // On a cache hit the guard answers in this turn and `next()` runs at once: no promise, no
    // microtask of this middleware's own per request (docs/benchmarks.md). It never rejects.
    if (!(result instanceof Promise)) return finish(ctx, next, result)
    return result.then((settled) => finish(ctx, next, settled))
  }
}

function finish(
  ctx: Context,
  next: Next,
  result: OptionalAuthResult,
): Promise<unknown> | undefined {
  if (!result.ok) {
    send(ctx, result.response)
    return undefined
  }
  if ('headers' in result && result.headers !== undefined) ctx.set(result.headers)
  // Optional and no header: the handler runs with no principal.
  if (result.principal !== null) ctx.state.auth = result.principal
  return next()
}

// How the guard reads a Koa context: given once, so a request builds nothing but the guard's one
// view (src/http/request-guard.ts). The path and the client address are read only for an
// `auth.denied` event.
const KOA_REQUEST: RequestAccessors<Context> = {
  headers: (ctx) => ctx.req.headers,
  rawHeaders: (ctx) => ctx.req.rawHeaders,
  method: (ctx) => ctx.method,
  path: (ctx) => ctx.path,
  socketAddress: (ctx) => ctx.req.socket?.remoteAddress,
}

/**
 * Middleware serving `POST`/`GET /api/v1/api-keys` and `DELETE /api/v1/api-keys/:id`; other
 * requests go downstream.
 *
 * @example
 * ```ts
 * app.use(apiKeyRoutes(auth))
 * ```
 */
export function apiKeyRoutes(auth: ApiKeyAuth, options: ApiKeyRoutesOptions = {}): Middleware {
  const handle = createApiKeyRoutes(auth, options)
  return async (ctx, next) => {
    const response = await handle(toAuthRequest(ctx, trustedProxies(auth)))
    if (response === null) return next()
    send(ctx, response)
  }
}

/**
 * Middleware for a body parser mounted before {@link apiKeyRoutes} (`koa-bodyparser`,
 * `@koa/bodyparser`, `koa-body`): its errors on the key-management paths (bad JSON, too large,
 * unsupported charset) become the routes' own JSON answers (400 `INVALID_JSON`, 413
 * `PAYLOAD_TOO_LARGE`, 415 `UNSUPPORTED_MEDIA_TYPE`). Mount it before the parser; any other
 * error, or any other path, is rethrown.
 *
 * @example
 * ```ts
 * app.use(apiKeyErrorHandler(auth))
 * app.use(bodyParser())
 * app.use(apiKeyRoutes(auth))
 * ```
 */
export function apiKeyErrorHandler(
  auth: ApiKeyAuth,
  options: ApiKeyRoutesOptions = {},
): Middleware {
  const translate = createBodyErrorTranslator(auth, options)
  return async (ctx, next) => {
    try {
      await next()
    } catch (error) {
      const response = ctx.headerSent ? null : translate({ path: ctx.path }, error)
      if (response === null) throw error
      send(ctx, response)
    }
  }
}

/**
 * Middleware serving GitHub's secret scanning reports at `POST /api/v1/secret-scanning/github`
 * (option `path`): signed reports of leaked keys, each revoked at once. Mount it before any body
 * parser: the signature covers the raw body.
 *
 * @example
 * ```ts
 * app.use(secretScanningRoute(auth, { onLeak: (leak) => notifyOwner(leak) }))
 * ```
 */
export function secretScanningRoute(
  auth: ApiKeyAuth,
  options: SecretScanningOptions = {},
): Middleware {
  const handle = createSecretScanningHandler(auth, options)
  return async (ctx, next) => {
    const response = await handle(toAuthRequest(ctx, trustedProxies(auth)))
    if (response === null) return next()
    send(ctx, response)
  }
}

function toAuthRequest(ctx: Context, trust: number): AuthRequest {
  return {
    method: ctx.method,
    path: ctx.path,
    query: ctx.querystring,
    headers: ctx.req.headers,
    rawHeaders: ctx.req.rawHeaders,
    protocol: ctx.protocol,
    // The library's trusted-proxy rule (docs/limits.md, "Client address").
    get clientAddress() {
      return clientAddressOf(ctx.req.socket?.remoteAddress, ctx.req.headers, trust)
    },
    // A body parser that ran has consumed the stream; otherwise the core reads it.
    body: ctx.req.readableEnded ? (ctx.request as { body?: unknown }).body : undefined,
    readBody: (limit) => readBody(ctx.req, limit),
  }
}

function send(ctx: Context, response: AuthResponse): void {
  ctx.status = response.status
  ctx.set(response.headers)
  ctx.body = response.text ?? JSON.stringify(response.body)
}
