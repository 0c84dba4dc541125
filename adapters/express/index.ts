/**
 * `@vydra/auth/express`: API-key middleware and the key-management router for Express 4 and 5.
 * @module
 */
import { Router, type Request, type RequestHandler, type Response } from 'express'
import {
  type ApiKeyAuth,
  type ApiKeyPrincipal,
  type ApiKeyRoutesOptions,
  type AuthRequest,
  type AuthResponse,
  authenticateRequest,
  createApiKeyRoutes,
  readBody,
} from '../../src/index.js'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express's own augmentation point
  namespace Express {
    interface Request {
      /** The verified API key, set by `requireApiKey`. */
      auth?: ApiKeyPrincipal
    }
  }
}

/** Options of {@link requireApiKey}. */
export interface RequireApiKeyOptions {
  /** Scopes the key must hold, all of them; checked against the registry at set-up. */
  scopes?: readonly string[]
}

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
  const scopes = auth.requireScopes(options.scopes ?? [])
  return (req, res, next) => {
    authenticateRequest(auth, req, scopes)
      .then((result) => {
        if (!result.ok) return send(res, result.response)
        req.auth = result.principal
        next()
      })
      .catch(next)
  }
}

/**
 * A router serving `POST`/`GET /api/v1/api-keys` and `DELETE /api/v1/api-keys/:id`. Mount it
 * before any JSON body parser, or let that parser's result be used.
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
    handle(toAuthRequest(req))
      .then((response) => (response === null ? next() : send(res, response)))
      .catch(next)
  })
  return router
}

function toAuthRequest(req: Request): AuthRequest {
  return {
    method: req.method,
    path: req.path,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    protocol: req.protocol,
    // A body parser that ran has consumed the stream; otherwise the core reads it.
    body: req.readableEnded ? (req.body as unknown) : undefined,
    readBody: (limit) => readBody(req, limit),
  }
}

function send(res: Response, response: AuthResponse): void {
  res.status(response.status).set(response.headers).end(JSON.stringify(response.body))
}
