/**
 * `@vydra/auth/sqlite`: a {@link SqliteKeyStore} on `better-sqlite3`, the embedded default.
 * @module
 */
export { SqliteKeyStore } from './sqlite-key-store.js'
export type { SqliteKeyStoreOptions } from './sqlite-key-store.js'
export { SqliteUsageStore } from './sqlite-usage-store.js'
export type { SqliteUsageStoreOptions } from './sqlite-usage-store.js'
