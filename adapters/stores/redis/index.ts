/**
 * `@vydra/auth/redis`: a {@link RedisKeyStore} on `ioredis`, with fleet-wide revocation, and a
 * {@link RedisLimitStore} for usage limits.
 * @module
 */
export { RedisKeyStore } from './redis-key-store.js'
export type { RedisDurability, RedisKeyStoreOptions } from './redis-key-store.js'
export { RedisLimitStore } from './redis-limit-store.js'
export type { RedisLimitStoreOptions } from './redis-limit-store.js'
export { RedisUsageStore } from './redis-usage-store.js'
export type { RedisUsageStoreOptions } from './redis-usage-store.js'
export { RedisExpiryStore } from './redis-expiry-store.js'
export type { RedisExpiryStoreOptions } from './redis-expiry-store.js'
export { RedisAuditStore } from './redis-audit-store.js'
export type { RedisAuditStoreOptions } from './redis-audit-store.js'
