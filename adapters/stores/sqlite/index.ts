/**
 * `@vydra/auth/sqlite`: a {@link SqliteKeyStore} on `better-sqlite3`, the embedded default.
 * @module
 */
export { SqliteKeyStore } from './sqlite-key-store.js'
export type { SqliteKeyStoreOptions } from './sqlite-key-store.js'
export { SqliteLimitStore } from './sqlite-limit-store.js'
export type { SqliteLimitStoreOptions } from './sqlite-limit-store.js'
export { SqliteUsageStore } from './sqlite-usage-store.js'
export type { SqliteUsageStoreOptions } from './sqlite-usage-store.js'
export { SqliteExpiryStore } from './sqlite-expiry-store.js'
export type { SqliteExpiryStoreOptions } from './sqlite-expiry-store.js'
