/**
 * vitest globalSetup: one PostgreSQL and one Redis for the whole run, shared by the store suites
 * through `inject('servers')`. Under CI=true a missing binary fails the run; locally the store
 * suites are skipped, loudly.
 */
import type { TestProject } from 'vitest/node'
import {
  findBinaries,
  INSTALL_COMMAND,
  type ManagedServer,
  type PostgresInfo,
  type RedisInfo,
  startPostgres,
  startRedis,
} from './servers.js'

/** What the store suites receive; `null` for a server that could not be started. */
export interface ProvidedServers {
  postgres: PostgresInfo | null
  redis: RedisInfo | null
}

declare module 'vitest' {
  export interface ProvidedContext {
    servers: ProvidedServers
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const binaries = findBinaries()
  const missing = [
    binaries.initdb === undefined || binaries.postgres === undefined ? 'PostgreSQL' : undefined,
    binaries.redis === undefined ? 'redis-server' : undefined,
  ].filter((name): name is string => name !== undefined)
  if (missing.length > 0) {
    const message = `${missing.join(' and ')} not found: install with \`${INSTALL_COMMAND}\``
    if (process.env.CI === 'true') throw new Error(`CI needs real servers. ${message}`)
    const bar = '!'.repeat(100)
    console.warn(`\n${bar}\n!! SKIPPING the store suites that need it: ${message}\n${bar}\n`)
  }
  const started: ManagedServer<unknown>[] = []
  const [postgres, redis] = await Promise.all([
    binaries.postgres === undefined ? null : startPostgres({ binaries }),
    // Append-only with fsync on every write: the persistence RedisKeyStore requires by default.
    binaries.redis === undefined ? null : startRedis({ binaries, persistent: true }),
  ])
  if (postgres !== null) started.push(postgres)
  if (redis !== null) started.push(redis)
  project.provide('servers', { postgres: postgres?.info ?? null, redis: redis?.info ?? null })
  return async () => {
    await Promise.all(started.map((server) => server.close()))
  }
}
