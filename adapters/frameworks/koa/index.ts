/**
 * `@vydra/auth/koa`: API-key middleware and the key-management routes for Koa 2 and 3.
 * @module
 */
import type { Context, Middleware } from 'koa'
import {
  type ApiKeyRoutesOptions,
  type AuthRequest,
  type AuthResponse,
  clientAddressOf,
  createApiKeyGuard,
  createApiKeyRoutes,
  createBodyErrorTranslator,
  createSecretScanningHandler,
  readBody,
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
  const guard = createApiKeyGuard(auth, options)
  const trust = trustedProxies(auth)
  return async (ctx, next) => {
    const result = await guard(new GuardedKoaRequest(ctx, trust))
    if (!result.ok) return send(ctx, result.response)
    if ('headers' in result && result.headers !== undefined) ctx.set(result.headers)
    // Optional and no header: the handler runs with no principal.
    if (result.principal !== null) ctx.state.auth = result.principal
    await next()
  }
}

// What the guard reads of a Koa context. A class, so that the path and the client address (read
// only for an `auth.denied` event) are getters on the prototype, not closures built per request
// (that cost about 20 % of throughput: docs/benchmarks.md).
class GuardedKoaRequest {
  readonly source: Context
  readonly trust: number
  constructor(source: Context, trust: number) {
    this.source = source
    this.trust = trust
  }
  get headers(): Context['req']['headers'] {
    return this.source.req.headers
  }
  get rawHeaders(): string[] {
    return this.source.req.rawHeaders
  }
  get method(): string {
    return this.source.method
  }
  get path(): string {
    return this.source.path
  }
  // The library's rule (docs/limits.md, "Client address"), not Koa's `app.proxy`.
  get clientAddress(): string | undefined {
    return clientAddressOf(
      this.source.req.socket?.remoteAddress,
      this.source.req.headers,
      this.trust,
    )
  }
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
