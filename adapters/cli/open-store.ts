/**
 * A store from a URL: `postgres://…`, `redis://…`, `sqlite:./keys.db`. Each store adapter and its
 * driver are loaded only when its URL is used, so the CLI needs only the driver of the store it
 * opens; a missing one is named with the command that installs it.
 * @module
 */
import type { KeyStore } from '../../src/index.js'
import { CliError, EXIT } from './errors.js'

/** An open store and what the commands may need of it. */
export interface OpenStore {
  kind: 'postgres' | 'redis' | 'sqlite'
  store: KeyStore
  /** One round trip that needs no schema (`SELECT 1`, `PING`). */
  ping(): Promise<void>
  /** Creates or upgrades the schema. */
  migrate(): Promise<string>
  /**
   * Checks the table's columns and schema version: `problem` says what is wrong (none when the
   * schema is right); `version` is absent for a store without a schema (Redis).
   */
  checkSchema(): Promise<{ problem?: string | undefined; version?: number }>
  /** Announces a made-up revocation on the store's channel (the doctor's listener check). */
  announce(hash: string): Promise<void>
  close(): Promise<void>
}

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** Connection timeout, in milliseconds. */
  timeoutMs: number
  /** Create what is missing (a SQLite file): `migrate` only. */
  create: boolean
}

const DRIVERS = { postgres: 'pg', redis: 'ioredis', sqlite: 'better-sqlite3' } as const

/** Opens the store a URL names. @throws {@link CliError} (usage) for a bad URL or a missing driver. */
export async function openStore(url: string, options: OpenStoreOptions): Promise<OpenStore> {
  const kind = kindOf(url)
  try {
    if (kind === 'postgres') return await (await import('./stores/postgres.js')).open(url, options)
    if (kind === 'redis') return await (await import('./stores/redis.js')).open(url, options)
    return await (await import('./stores/sqlite.js')).open(url, options.create)
  } catch (error) {
    throw missingDriver(error, kind) ?? error
  }
}

function kindOf(url: string): OpenStore['kind'] {
  if (/^postgres(?:ql)?:\/\//i.test(url)) return 'postgres'
  if (/^rediss?:\/\//i.test(url)) return 'redis'
  if (/^sqlite:/i.test(url)) return 'sqlite'
  throw new CliError(
    EXIT.usage,
    'The store URL must start with postgres://, redis://, rediss:// or sqlite:',
    'BAD_STORE_URL',
    'Examples: postgres://user@localhost/app, redis://localhost:6379, sqlite:./keys.db',
  )
}

function missingDriver(error: unknown, kind: OpenStore['kind']): CliError | undefined {
  const driver = DRIVERS[kind]
  const code = (error as { code?: unknown } | null)?.code
  const message = error instanceof Error ? error.message : ''
  if (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    message.includes(`'${driver}'`)
  ) {
    return new CliError(
      EXIT.usage,
      `The ${kind} store needs the ${driver} package, which is not installed`,
      'DRIVER_MISSING',
      `Install it: npm install ${driver}`,
    )
  }
  return undefined
}
