/** The help text of `vydra-auth`. */
export const USAGE = `Usage: vydra-auth <command> [options]

Commands:
  keys create --user <id> --name <name> [--scopes a,b] [--expires-in-days <n>]
                              issue a key; the full key is printed once
  keys list --user <id>       the user's keys (revoked and expired included)
  keys show <key-id> --user <id>
  keys revoke <key-id> --user <id>
  keys roll <key-id> --user <id> [--grace-seconds <n>]
                              a new key (printed once); the old one works for the grace
  keys disable <key-id> --user <id>    suspend a key (every instance refuses it)
  keys enable <key-id> --user <id>     lift the suspension
  keys events <key-id> --user <id>     the key's audit log, newest first (PostgreSQL, SQLite)
  pattern                     the regular expression of the keys, for secret scanners
  migrate                     create or upgrade the store's schema
  doctor                      check the connection, schema, listener and latency

Options:
  --store <url>               postgres://…, redis://…, sqlite:./keys.db (or VYDRA_AUTH_STORE)
  --environment <name>        the keys' environment (default live, or VYDRA_AUTH_ENVIRONMENT)
  --prefix <prefix>           the keys' prefix (default vydra, or VYDRA_AUTH_PREFIX)
  --config <file>             the application's key rules: scope registry, cap, prefix…
                              (an .mjs/.js default export or .json; or VYDRA_AUTH_CONFIG)
  --timeout <ms>              how long the store may take (default 5000)
  --json                      machine-readable output
  -h, --help                  this text

The pepper is read from VYDRA_AUTH_PEPPER only (a flag would land in your shell history).
Exit codes: 0 ok, 1 not found or invalid input, 2 usage, 3 store unavailable.
`
