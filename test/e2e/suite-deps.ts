/** What the suite takes from the library, in one place. */
export { authenticateRequest, createApiKeyAuth, MemoryKeyStore } from '../../src/index.js'

/** Matches any full key of the default prefix, wherever it appears. */
export const API_KEY_AUTH_PATTERN = /vydra_(live|test)_user_[A-Za-z0-9_-]+_[A-Za-z0-9]{38}/
