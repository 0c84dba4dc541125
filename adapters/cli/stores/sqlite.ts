/** `sqlite:./keys.db` for the CLI: the file must exist except for `migrate`, which creates it. */
import { existsSync } from 'node:fs'
import { SqliteKeyStore } from '../../stores/sqlite/index.js'
import { CliError, EXIT } from '../errors.js'
import type { OpenStore } from '../open-store.js'
import { missingColumns, versionProblem } from './columns.js'
import { checkIdentifier, takeParams } from './url-params.js'

/** Opens a SQLite store (`?table=` names its table); `create` for `migrate`. */
export async function open(url: string, create: boolean): Promise<OpenStore> {
  const { rest, params } = takeParams(url, ['table'])
  const table = checkIdentifier(params.table, 'table') ?? 'vydra_api_keys'
  // sqlite:./keys.db, sqlite:/abs/keys.db, sqlite:///abs/keys.db, sqlite::memory:
  const path = rest.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '')
  if (path === '') {
    throw new CliError(
      EXIT.usage,
      'The sqlite: URL needs a file, e.g. sqlite:./keys.db',
      'BAD_STORE_URL',
    )
  }
  if (!create && path !== ':memory:' && !existsSync(path)) {
    throw new CliError(
      EXIT.unavailable,
      'The SQLite file does not exist',
      'STORE_NOT_FOUND',
      'Create it with `vydra-auth migrate`, or check the path.',
    )
  }
  const store = new SqliteKeyStore(path, { table })
  const columns = (): string[] =>
    (store.database.pragma(`table_info("${table}")`) as { name: string }[]).map((c) => c.name)
  return {
    kind: 'sqlite',
    store,
    ping: async () => {
      store.database.prepare('SELECT 1').get()
    },
    migrate: async () => `table ${table} is ready`,
    checkSchema: async () => {
      const row = store.database
        .prepare('SELECT version FROM vydra_schema_versions WHERE table_name = ?')
        .get(table) as { version: number } | undefined
      const version = row?.version ?? null
      return {
        problem: versionProblem(version) ?? missingColumns(columns()),
        version: version ?? 1,
      }
    },
    // One process: nothing to announce to (other processes see revocations by cache expiry).
    announce: async () => {},
    close: async () => store.close(),
  }
}
