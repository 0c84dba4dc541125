/**
 * Every default of the options, in one place: the schema, the key format, the errors and the
 * routes read them from here. Internal: not exported from the package.
 * @module
 */

/** Defaults of `createApiKeyAuth` options (and of the same settings elsewhere). */
export const DEFAULTS = Object.freeze({
  prefix: 'vydra',
  environment: 'live',
  realm: 'vydra',
  sessionCookie: '__session',
  cache: Object.freeze({ ttlMs: 30_000, maxEntries: 10_000, negativeTtlMs: 5_000 }),
  storeTimeoutMs: 2_000,
  touchIntervalMs: 60_000,
  maxKeysPerUser: 100,
  maxExpiresInDays: 3650,
  maxRollGraceMs: 7 * 86_400_000,
  ownerTypes: Object.freeze(['user'] as const),
  clockToleranceMs: 0,
  basePath: '/api/v1/api-keys',
  usageFlushMs: 10_000,
})

/** The `realm` grammar: printable ASCII without quotes or backslashes (it goes into a header). */
export const REALM_PATTERN = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,100}$/
