/**
 * `@vydra/auth`: API-key authentication for Node.js services.
 *
 * @example
 * ```ts
 * import { createApiKeyAuth, MemoryKeyStore } from '@vydra/auth'
 *
 * const auth = createApiKeyAuth({ store: new MemoryKeyStore() })
 * const { key } = await auth.createKey({ userId: 'abc', name: 'CI' })
 * const principal = await auth.authenticate(`Bearer ${key}`)
 * ```
 * @module
 */

// The service
export { createApiKeyAuth, CREATE_KEY_MESSAGE } from './create-api-key-auth.js'
export type {
  ApiKeyAuth,
  CacheStats,
  CreatedApiKey,
  CreateKeyInput,
  VerifyOptions,
} from './create-api-key-auth.js'
export type {
  ApiKeyAuthOptions,
  AuthLogger,
  CacheOptions,
  ResolvedAuthOptions,
} from './options/types.js'
export type {
  JwtSessionOptions,
  SessionClaims,
  SessionCommonOptions,
  SessionLogLevel,
  SessionOptions,
  SessionRequest,
} from './options/session.js'

// Framework-neutral HTTP layer (what the adapters are built on)
export { authenticateRequest, createApiKeyGuard } from './http/authenticate-request.js'
export type { ApiKeyGuard, ApiKeyGuardOptions } from './http/authenticate-request.js'
export {
  createApiKeyRoutes,
  createBodyErrorTranslator,
  MAX_BODY_BYTES,
} from './http/create-api-key-routes.js'
export type {
  ApiKeyRoutesHandler,
  ApiKeyRoutesOptions,
  BodyErrorTranslator,
} from './http/create-api-key-routes.js'
export { parseCookies } from './http/parse-cookies.js'
export { readBody } from './http/read-body.js'
export type { BodySource } from './http/read-body.js'
export type { AuthRequest, AuthRequestHeaders, AuthResponse, AuthResult } from './http/types.js'
export { checkCsrf } from './http/csrf.js'
export { createSessionVerifier } from './http/session/verifier.js'
export type { SessionRejectionReason } from './http/session/rejections.js'
export type {
  SessionUser,
  SessionVerifier,
  SessionVerifierOptions,
} from './http/session/verifier.js'

// Storage
export { MemoryKeyStore } from './memory-key-store.js'
export type { KeyStore } from './key-store.js'
export type { ApiKeyInfo, ApiKeyPrincipal, ApiKeyRecord } from './types.js'

// Pure functions
export {
  CHECKSUM_LENGTH,
  formatKeyPrefix,
  generateApiKey,
  isValidEnvironment,
  isValidKeyPrefix,
  isValidUserId,
  KEY_PREFIX_SECRET_CHARS,
  MAX_TOKEN_LENGTH,
  MAX_USER_ID_LENGTH,
  parseApiKey,
  SECRET_LENGTH,
  SECRET_RANDOM_LENGTH,
} from './api-key.js'
export type {
  ApiKeyFormatOptions,
  GenerateApiKeyOptions,
  ParsedApiKey,
  RandomBytes,
} from './api-key.js'
export { hashApiKey } from './hash.js'
export { parseBearerHeader } from './bearer.js'
export { hasScopes, MAX_SCOPE_LENGTH, scopeSatisfies, validateScope } from './scope.js'

// Errors
export { AUTH_ERROR_STATUS, AuthError, isAuthError } from './errors.js'
export type {
  AuthErrorBody,
  AuthErrorCode,
  AuthErrorOptions,
  AuthErrorResponse,
  ToResponseOptions,
  ValidationIssue,
} from './errors.js'

// Not public: isWellFormedKey, keyHead, createKeyHasher, digestsEqual, missingScopes and
// everything in lib/ are internal helpers whose shape may change in any release.
