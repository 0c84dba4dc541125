/**
 * `@vydra/auth/express`: API-key middleware and the key-management router for Express 4 and 5.
 * @module
 */
import {
  type ErrorRequestHandler,
  type NextFunction,
  Router,
  type Request,
  type RequestHandler,
  type Response,
} from 'express'
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

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express's own augmentation point
  namespace Express {
    interface Request {
      /** The verified API key, set by `requireApiKey`. */
      auth?: ApiKeyPrincipal
    }
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
 * principal is then at `req.auth`. Anything else is answered here (401/403/503).
 *
 * @example
 * ```ts
 * app.get('/api/v1/models', requireApiKey(auth, { scopes: ['models:read'] }), handler)
 * ```
 */
export function requireApiKey(
  auth: ApiKeyAuth,
  options: RequireApiKeyOptions = {},
): RequestHandler {
  const guard = createRequestGuard(auth, options, EXPRESS_REQUEST)
  return (req, res, next) => {
    const result: OptionalAuthResult | Promise<OptionalAuthResult> = guard(req)
    // On a cache hit the guard answers in this turn and `next()` runs at once: no promise, no
    // microtask per request (docs/benchmarks.md). The guard never rejects.
    if (!(result instanceof Promise)) return finish(req, res, next, result)
    result.then((settled) => finish(req, res, next, settled)).catch(next)
  }
}

function finish(req: Request, res: Response, next: NextFunction, result: OptionalAuthResult): void {
  if (!result.ok) return send(res, result.response)
  if ('headers' in result && result.headers !== undefined) res.set(result.headers)
  // Optional and no header: the handler runs with no principal.
  if (result.principal !== null) req.auth = result.principal
  next()
}

// How the guard reads an Express request: given once, so a request builds nothing but the
// guard's one view (src/http/request-guard.ts). The path and the client address are read only
// for an `auth.denied` event.
const EXPRESS_REQUEST: RequestAccessors<Request> = {
  headers: (req) => req.headers,
  rawHeaders: (req) => req.rawHeaders,
  method: (req) => req.method,
  path: (req) => req.path,
  socketAddress: (req) => req.socket.remoteAddress,
}

/**
 * A router serving `POST`/`GET /api/v1/api-keys` and `DELETE /api/v1/api-keys/:id`. Mount it
 * before any JSON body parser, or let that parser's result be used; with a parser mounted
 * before it, add {@link apiKeyErrorHandler} so that the parser's errors get these routes' JSON
 * answers.
 *
 * @example
 * ```ts
 * app.use(apiKeyRoutes(auth))
 * ```
 */
export function apiKeyRoutes(auth: ApiKeyAuth, options: ApiKeyRoutesOptions = {}): Router {
  const handle = createApiKeyRoutes(auth, options)
  const router = Router()
  router.use((req, res, next) => {
    handle(toAuthRequest(req, auth))
      .then((response) => (response === null ? next() : send(res, response)))
      .catch(next)
  })
  return router
}

/**
 * Error-handling middleware for a body parser mounted before {@link apiKeyRoutes}
 * (`express.json()`, `body-parser`): its errors on the key-management paths (bad JSON, too
 * large, unsupported charset) become the routes' own JSON answers (400 `INVALID_JSON`, 413
 * `PAYLOAD_TOO_LARGE`, 415 `UNSUPPORTED_MEDIA_TYPE`) instead of Express's HTML error page. Any
 * other error, or any other path, goes on to your error handlers. Mount it after the parser, at
 * the same path and with the same `basePath` as the routes.
 *
 * @example
 * ```ts
 * app.use(express.json())
 * app.use(apiKeyRoutes(auth))
 * app.use(apiKeyErrorHandler(auth))
 * ```
 */
export function apiKeyErrorHandler(
  auth: ApiKeyAuth,
  options: ApiKeyRoutesOptions = {},
): ErrorRequestHandler {
  const translate = createBodyErrorTranslator(auth, options)
  return (error: unknown, req, res, next) => {
    const response = res.headersSent ? null : translate({ path: req.path }, error)
    if (response === null) return next(error)
    send(res, response)
  }
}

/**
 * Middleware serving GitHub's secret scanning reports at `POST /api/v1/secret-scanning/github`
 * (option `path`): signed reports of leaked keys, each revoked at once. Mount it before any JSON
 * body parser: the signature covers the raw body.
 *
 * @example
 * ```ts
 * app.use(secretScanningRoute(auth, { onLeak: (leak) => notifyOwner(leak) }))
 * ```
 */
export function secretScanningRoute(
  auth: ApiKeyAuth,
  options: SecretScanningOptions = {},
): RequestHandler {
  const handle = createSecretScanningHandler(auth, options)
  return (req, res, next) => {
    handle(toAuthRequest(req, auth))
      .then((response) => (response === null ? next() : send(res, response)))
      .catch(next)
  }
}

function toAuthRequest(req: Request, auth: ApiKeyAuth): AuthRequest {
  return {
    method: req.method,
    path: req.path,
    query: queryOf(req.originalUrl),
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    protocol: req.protocol,
    // The library's trusted-proxy rule (docs/limits.md, "Client address").
    get clientAddress() {
      return clientAddressOf(req.socket.remoteAddress, req.headers, trustedProxies(auth))
    },
    // A body parser that ran has consumed the stream; otherwise the core reads it.
    body: req.readableEnded ? (req.body as unknown) : undefined,
    readBody: (limit) => readBody(req, limit),
  }
}

function send(res: Response, response: AuthResponse): void {
  res
    .status(response.status)
    .set(response.headers)
    .end(response.text ?? JSON.stringify(response.body))
}

// The raw query string of a URL, without its `?`.
function queryOf(url: string): string {
  const at = url.indexOf('?')
  return at === -1 ? '' : url.slice(at + 1)
}
