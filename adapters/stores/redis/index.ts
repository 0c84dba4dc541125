/**
 * `@vydra/auth/redis`: a {@link RedisKeyStore} on `ioredis`, with fleet-wide revocation.
 * @module
 */
export { RedisKeyStore } from './redis-key-store.js'
export type { RedisDurability, RedisKeyStoreOptions } from './redis-key-store.js'
