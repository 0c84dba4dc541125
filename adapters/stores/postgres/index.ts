/**
 * `@vydra/auth/postgres`: a {@link PostgresKeyStore} on `pg`, with fleet-wide revocation.
 * @module
 */
export { PostgresKeyStore } from './postgres-key-store.js'
export type { PostgresKeyStoreOptions } from './postgres-key-store.js'
export { PostgresLimitStore } from './postgres-limit-store.js'
export type { PostgresLimitStoreOptions } from './postgres-limit-store.js'
export { PostgresUsageStore } from './postgres-usage-store.js'
export type { PostgresUsageStoreOptions } from './postgres-usage-store.js'
export { PostgresExpiryStore } from './postgres-expiry-store.js'
export type { PostgresExpiryStoreOptions } from './postgres-expiry-store.js'
