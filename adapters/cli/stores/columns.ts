/** The columns every SQL store's table has; the doctor compares a table against them. */
export const EXPECTED_COLUMNS = [
  'id',
  'user_id',
  'name',
  'key_prefix',
  'scopes',
  'hash',
  'created_at',
  'expires_at',
  'last_used_at',
  'revoked_at',
  // Schema version 2 (0.2): a 0.1 table lacks them until `vydra-auth migrate` (store.migrate()).
  'owner_type',
  'created_by',
  'metadata',
  'disabled_at',
  'revoked_reason',
  'replaced_by',
  'rolled_from',
  'grace_ends_at',
  'first_use_grace_ms',
  'extra',
] as const

/** What is missing from a table with `columns`, or `undefined`. */
export function missingColumns(columns: readonly string[]): string | undefined {
  const missing = EXPECTED_COLUMNS.filter((column) => !columns.includes(column))
  return missing.length === 0 ? undefined : `the table lacks columns: ${missing.join(', ')}`
}

/**
 * The schema version `PostgresKeyStore.migrate()` and `SqliteKeyStore.migrate()` bring a table to
 * (their `SCHEMA_VERSION`, recorded per table in `vydra_schema_versions`). A CLI test migrates
 * and asks doctor, so a store that moves on without this moving fails there.
 */
export const EXPECTED_SCHEMA_VERSION = 3

/** What is wrong with a table at `version` (`null`: no version recorded, a 0.1 table). */
export function versionProblem(version: number | null): string | undefined {
  const at = version ?? 1
  return at >= EXPECTED_SCHEMA_VERSION
    ? undefined
    : `schema version ${at}; this release needs ${EXPECTED_SCHEMA_VERSION}`
}
