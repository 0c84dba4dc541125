/**
 * `@vydra/auth/http`: the adapter kit. What a framework adapter is built from: authenticate a
 * request, serve the key-management routes, read a body, check CSRF and sessions, and the
 * framework-neutral request and response types. The Express, Fastify and Koa adapters use
 * nothing else at run time (they name the service's types, `ApiKeyAuth` and `ApiKeyPrincipal`, from
 * the root entry); an adapter for another framework needs nothing more (docs/adapters.md).
 *
 * @example
 * ```ts
 * import { createApiKeyGuard } from '@vydra/auth/http'
 *
 * const guard = createApiKeyGuard(auth, { scopes: ['models:read'] })
 * const result = await guard({ headers: req.headers, rawHeaders: req.rawHeaders })
 * if (!result.ok) send(result.response)
 * ```
 * @module
 */

// Requests: API-key authentication
export { authenticateRequest, createApiKeyGuard } from './authenticate-request.js'
export type {
  ApiKeyGuard,
  ApiKeyGuardOptions,
  GuardedRequest,
  OptionalApiKeyGuard,
} from './authenticate-request.js'
export { createRequestGuard } from './request-guard.js'
export type { OptionalRequestGuard, RequestAccessors, RequestGuard } from './request-guard.js'

// The key-management routes
export {
  createApiKeyRoutes,
  createBodyErrorTranslator,
  MAX_BODY_BYTES,
} from './create-api-key-routes.js'
export type { ApiKeyRoutesHandler, BodyErrorTranslator } from './create-api-key-routes.js'
export type { ApiKeyRoutesOptions, KeyManagerCheck } from './routes-options.js'

// Web-standard requests and responses (fetch, Hono, Next.js, Bun, Deno, workerd)
export { fromWebRequest, guardedWebRequest, readWebBody, toWebResponse, webHeaders } from './web.js'
export {
  checkWebClientAddress,
  resolveClientAddress,
  type WebClientAddress,
  type WebClientAddressOption,
} from './web.js'
export {
  WebHeadersByName,
  webRequestAccessors,
  webRequestAccessorsFor,
} from './web-request-accessors.js'
export {
  clientAddressOf,
  forwardedClientAddress,
  requireClientAddressSource,
  trustedProxies,
} from './client-address.js'

// Bodies, cookies, CSRF and sessions
export { readBody } from './read-body.js'
export type { BodySource } from './read-body.js'
export { parseCookies } from './parse-cookies.js'
export { checkCsrf } from './csrf.js'
export { createSessionVerifier } from './session/verifier.js'
export type { SessionUser, SessionVerifier, SessionVerifierOptions } from './session/verifier.js'
export type { SessionRejectionReason } from './session/rejections.js'

// GitHub's secret scanning partner endpoint
export { createSecretScanningHandler } from './secret-scanning/handler.js'
export type { SecretScanningHandler, SecretScanningLabel } from './secret-scanning/handler.js'
export type { SecretScanningPublicKey } from './secret-scanning/key-set.js'
export type { LeakAction, LeakEvent, SecretScanningOptions } from './secret-scanning/options.js'

// The neutral request and response
export type {
  AuthRequest,
  AuthRequestHeaders,
  AuthResponse,
  AuthResult,
  OptionalAuthResult,
} from './types.js'

// The verified key of an `AuthResult`, named here so that the kit's types are complete.
export type { ApiKeyPrincipal, JsonValue, KeyMetadata, KeyOwnerType } from '../types.js'
export type { AnyOfScopes, RequiredScopes } from '../scope.js'
