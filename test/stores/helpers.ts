/** Shared pieces of the store suites: server info, connections, unique names. */
import { randomBytes } from 'node:crypto'
import { Redis, type RedisOptions } from 'ioredis'
import pg from 'pg'
import { inject } from 'vitest'
import type { PostgresInfo, RedisInfo } from '../support/servers.js'

/** The shared PostgreSQL of this run, `null` when it is not installed (suites skip). */
export const sharedPostgres = (): PostgresInfo | null => inject('servers').postgres

/** The shared Redis of this run, `null` when it is not installed (suites skip). */
export const sharedRedis = (): RedisInfo | null => inject('servers').redis

/**
 * Whether a store table's row for `name` can run: true when its server runs. A missing server
 * (not installed locally) makes the row's cases show as skipped, never vanish from the table;
 * under CI=true it fails the file instead, as CI must run every store.
 */
export function serverRuns(name: string, info: unknown): boolean {
  if (info !== null && info !== undefined) return true
  if (process.env.CI === 'true') throw new Error(`${name} is not running: CI runs every store`)
  return false
}

/** A lower-case name nobody else in this run uses (tables, namespaces). */
export const uniqueName = (prefix: string): string => `${prefix}_${randomBytes(6).toString('hex')}`

/** A pool whose idle-client errors are swallowed (a killed server must not crash the test). */
export function makePool(info: PostgresInfo, options: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({
    host: info.host,
    port: info.port,
    user: info.user,
    database: info.database,
    max: 10,
    ...options,
  })
  pool.on('error', () => {})
  return pool
}

/** An ioredis client on `info`; errors are swallowed (faults are what the tests inject). */
export function makeRedis(info: RedisInfo, options: RedisOptions = {}): Redis {
  const client = new Redis({ host: info.host, port: info.port, lazyConnect: false, ...options })
  client.on('error', () => {})
  return client
}
