/**
 * `@vydra/auth/redis`: a {@link RedisKeyStore} on `ioredis`, with fleet-wide revocation.
 * @module
 */
export { RedisKeyStore } from './redis-key-store.js'
export type { RedisDurability, RedisKeyStoreOptions } from './redis-key-store.js'
export { RedisUsageStore } from './redis-usage-store.js'
export type { RedisUsageStoreOptions } from './redis-usage-store.js'
export { RedisExpiryStore } from './redis-expiry-store.js'
export type { RedisExpiryStoreOptions } from './redis-expiry-store.js'
