/**
 * The HTTP functions the root entry exported in 0.1, kept there for 0.2 as deprecated wrappers
 * of the adapter kit (`@vydra/auth/http`); the kit's types stay re-exported from the root as they
 * are. Internal module: only src/index.ts re-exports it.
 * @module
 */
import type { ApiKeyAuth } from '../create-api-key-auth.js'
import type { ApiKeyGuard, ApiKeyGuardOptions } from './authenticate-request.js'
import * as kit from './index.js'
import type { ApiKeyRoutesHandler, BodyErrorTranslator } from './create-api-key-routes.js'
import type { BodySource } from './read-body.js'
import type { ApiKeyRoutesOptions } from './routes-options.js'
import type { SessionVerifier, SessionVerifierOptions } from './session/verifier.js'
import type { AuthRequest, AuthResult } from './types.js'

/**
 * Largest accepted body of the create route, in bytes.
 * @deprecated Since 0.2: import it from `@vydra/auth/http` (the adapter kit).
 */
export const MAX_BODY_BYTES: number = kit.MAX_BODY_BYTES

/**
 * See `authenticateRequest` in `@vydra/auth/http`.
 * @deprecated Since 0.2: use `createApiKeyGuard` from `@vydra/auth/http` (the adapter kit).
 */
export function authenticateRequest(
  auth: ApiKeyAuth,
  request: Pick<AuthRequest, 'headers' | 'rawHeaders'>,
  scopes?: readonly string[],
): Promise<AuthResult> {
  return kit.authenticateRequest(auth, request, scopes)
}

/**
 * See `createApiKeyGuard` in `@vydra/auth/http`.
 * @deprecated Since 0.2: import it from `@vydra/auth/http` (the adapter kit).
 */
export function createApiKeyGuard(auth: ApiKeyAuth, options?: ApiKeyGuardOptions): ApiKeyGuard {
  return kit.createApiKeyGuard(auth, options)
}

/**
 * See `createApiKeyRoutes` in `@vydra/auth/http`.
 * @deprecated Since 0.2: import it from `@vydra/auth/http` (the adapter kit).
 */
export function createApiKeyRoutes(
  auth: ApiKeyAuth,
  options?: ApiKeyRoutesOptions,
): ApiKeyRoutesHandler {
  return kit.createApiKeyRoutes(auth, options)
}

/**
 * See `createBodyErrorTranslator` in `@vydra/auth/http`.
 * @deprecated Since 0.2: import it from `@vydra/auth/http` (the adapter kit).
 */
export function createBodyErrorTranslator(
  auth: ApiKeyAuth,
  options?: ApiKeyRoutesOptions,
): BodyErrorTranslator {
  return kit.createBodyErrorTranslator(auth, options)
}

/**
 * See `readBody` in `@vydra/auth/http`.
 * @deprecated Since 0.2: import it from `@vydra/auth/http` (the adapter kit).
 */
export function readBody(source: BodySource, limit: number): Promise<Uint8Array | null> {
  return kit.readBody(source, limit)
}

/**
 * See `parseCookies` in `@vydra/auth/http`.
 * @deprecated Since 0.2: import it from `@vydra/auth/http` (the adapter kit).
 */
export function parseCookies(header: unknown): Record<string, string> {
  return kit.parseCookies(header)
}

/**
 * See `checkCsrf` in `@vydra/auth/http`.
 * @deprecated Since 0.2: import it from `@vydra/auth/http` (the adapter kit).
 */
export function checkCsrf(
  request: Pick<AuthRequest, 'headers' | 'protocol'>,
  allowedOrigins: readonly string[] | undefined,
): void {
  kit.checkCsrf(request, allowedOrigins)
}

/**
 * See `createSessionVerifier` in `@vydra/auth/http`.
 * @deprecated Since 0.2: import it from `@vydra/auth/http` (the adapter kit).
 */
export function createSessionVerifier(options: SessionVerifierOptions): SessionVerifier {
  return kit.createSessionVerifier(options)
}
