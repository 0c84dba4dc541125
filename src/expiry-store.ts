/**
 * The expiry-warning port: which keys expire soon, and a claim per (key, notice) that exactly one
 * caller of a fleet wins. Optional; `auth.notifyExpiring` needs it.
 * @module
 */

/** What an expiry warning needs of a key. */
export interface ExpiringKey {
  /** UUID of the key. */
  id: string
  /** Owner. */
  userId: string
  /** Display form, e.g. `vydra_live_user_abc_X7kM...`. */
  keyPrefix: string
  expiresAt: Date
}

/**
 * Where expiry warnings are claimed. Implementations read the key store's own data (the same
 * database) and keep the claims beside it.
 */
export interface ExpiryStore {
  /**
   * Keys that are not revoked with `from < expiresAt <= to`, soonest first, at most `limit`.
   */
  listExpiring(from: Date, to: Date, limit: number): Promise<ExpiringKey[]>
  /**
   * Claims `notice` (`'14d'`, `'expired'`, …) for `keyId` in one conditional write: resolves
   * `true` for exactly one caller, however many instances claim it at once, and `false` for every
   * other caller, then and later.
   */
  claimNotice(keyId: string, notice: string, at: Date): Promise<boolean>
}
