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
  ApiKeyPage,
  CacheStats,
  CreatedApiKey,
  CreateKeyInput,
  PepperStatus,
  KeyOwnerInput,
  KeyRefInput,
  ListKeyPageInput,
  RevokeKeyInput,
  RolledApiKey,
  RollKeyInput,
  UpdateKeyInput,
  RevokeByKeyOptions,
  RevokeByKeyResult,
  ExpiryNotice,
  ManagementContext,
  NotifyExpiringOptions,
  UsageQuery,
  UsageReport,
  VerifyOptions,
  AuditPage,
  ListEventsInput,
} from './create-api-key-auth.js'
export type {
  ApiKeyAuthOptions,
  AuthLogger,
  CacheOptions,
  ResolvedAuthOptions,
} from './options/types.js'
export type {
  CurrentPepperVersion,
  PepperRing,
  PepperVersion,
  PreviousPepperVersion,
} from './options/pepper.js'
export type {
  JwtSessionOptions,
  SessionClaims,
  SessionCommonOptions,
  SessionLogLevel,
  SessionOptions,
  SessionRequest,
} from './options/session.js'

// Events
export { AUTH_EVENT_NAMES } from './events.js'
export type {
  AuthDeniedEvent,
  AuthThrottledEvent,
  AuthEvent,
  AuthEventListener,
  AuthEventMap,
  AuthEventName,
  EventActor,
  KeyCreatedEvent,
  KeyEventBase,
  KeyExpiredEvent,
  KeyExpiringEvent,
  KeyLeakedEvent,
  KeyRevokedEvent,
  KeyRolledEvent,
  KeyStateEvent,
  KeyUpdatedEvent,
  LimitHitEvent,
  RequestMetadata,
} from './events.js'

// Expiry warnings
export { MemoryExpiryStore } from './memory-expiry-store.js'
export type { ExpiringKey, ExpiryStore } from './expiry-store.js'

// Usage counts
export { MemoryUsageStore } from './memory-usage-store.js'
export type { UsageBatch, UsageRow, UsageStore } from './usage-store.js'
export type { AuthTelemetry, TelemetryView, VerificationSource } from './telemetry.js'

// Audit log (docs/audit-log.md)
export { MemoryAuditStore } from './memory-audit-store.js'
export type { MemoryAuditStoreOptions } from './memory-audit-store.js'
export type {
  AuditAction,
  AuditQuery,
  AuditRecord,
  AuditStore,
  AuditValue,
  AuditWrite,
} from './audit-store.js'

// Storage
export { MemoryKeyStore } from './memory-key-store.js'
export type {
  KeyCap,
  KeyPageQuery,
  KeyRollRefusal,
  KeyRollRequest,
  KeyRollResult,
  KeyStatusFilter,
  KeyStore,
  KeyUpdateExpectation,
  KeyUpdatePatch,
  KeyUpdateResult,
} from './key-store.js'
export type {
  ApiKeyInfo,
  ApiKeyLifecycleFields,
  ApiKeyPrincipal,
  ApiKeyRecord,
  JsonValue,
  KeyMetadata,
  KeyOwnerType,
  KeyStatus,
} from './types.js'
export { keyStatus, LIFECYCLE_DEFAULTS } from './key-record.js'

// Usage limits (docs/limits.md)
export { MemoryLimitStore } from './memory-limit-store.js'
export type { MemoryLimitStoreOptions } from './memory-limit-store.js'
export { LeasingLimitStore } from './leasing-limit-store.js'
export type { LeasingOptions } from './leasing-limit-store.js'
export type { LimitStore } from './limit-store.js'
export type {
  CreditLimit,
  CreditRefill,
  CreditState,
  KeyLimits,
  LimitCheck,
  LimitOutcome,
  RateLimit,
  RateLimitState,
} from './limits/types.js'
export {
  applyCheck as applyLimitCheck,
  stateLifetimeMs as limitStateLifetimeMs,
} from './limits/sliding-window.js'
export type {
  Applied as AppliedLimitCheck,
  LimitState,
  WindowUsage,
} from './limits/sliding-window.js'
export type {
  FailedAuthOptions,
  LimitOutagePolicy,
  LimitsOptions,
  ResolvedLimitsOptions,
} from './options/limits.js'
export type { ChargeOptions, FailedAuthThrottle } from './create-api-key-auth.js'

// Pure functions
export { formatKeyPrefix, generateApiKey, parseApiKey } from './api-key.js'
export type {
  ApiKeyFormatOptions,
  GenerateApiKeyOptions,
  ParsedApiKey,
  RandomBytes,
} from './api-key.js'
export { hashApiKey } from './hash.js'
export { apiKeyToJson } from './key-json.js'
export type { ApiKeyJson } from './key-json.js'
export { secretPattern, secretPatternParts } from './secret-pattern.js'
export type { SecretPatternOptions, SecretPatternParts } from './secret-pattern.js'
export { parseBearerHeader } from './bearer.js'
export { hasScopes, scopeSatisfies, validateScope } from './scope.js'
export type { AnyOfScopes, RequiredScopes } from './scope.js'

// The key routes' OpenAPI document
export { apiKeyRoutesOpenApi } from './http/openapi/document.js'
export type { ApiKeyRoutesOpenApiOptions, OpenApiDocument } from './http/openapi/document.js'

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

// Deprecated since 0.2, still exported: the adapter kit's functions (now `@vydra/auth/http`)
// and the key-format constants and checks (internal details of the key format). The kit's
// types stay exported here too, unchanged.
export * from './http/root-exports.js'
export * from './deprecated.js'
export type {
  ApiKeyGuard,
  ApiKeyGuardOptions,
  GuardedRequest,
} from './http/authenticate-request.js'
export type { ApiKeyRoutesHandler, BodyErrorTranslator } from './http/create-api-key-routes.js'
export type { ApiKeyRoutesOptions, KeyManagerCheck } from './http/routes-options.js'
export type { BodySource } from './http/read-body.js'
export type { SessionRejectionReason } from './http/session/rejections.js'
export type {
  SessionUser,
  SessionVerifier,
  SessionVerifierOptions,
} from './http/session/verifier.js'
export type { AuthRequest, AuthRequestHeaders, AuthResponse, AuthResult } from './http/types.js'

// Everything else under src/ (service/, options/, lib/, …) is internal by rule: only what this
// file and src/http/index.ts export is public.
