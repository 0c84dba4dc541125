/**
 * Fleet-wide lifecycle changes: 10 instances, each with its own connections and its own cache,
 * share one store; a disable, a narrowing and the end of a roll's grace made through one must
 * reach every other one (each refuses the key it had cached). Delays are measured by the bench
 * section (`npm run bench -- --only=fleet-lifecycle`), not asserted here.
 */
import { describe, expect, it } from 'vitest'
import { formatFleetLifecycle, measureLifecycle } from '../../bench/fleet-lifecycle.js'
import { postgresMember, redisMember } from '../../bench/fleet-revocation.js'
import { serverRuns, sharedPostgres, sharedRedis } from './helpers.js'

const postgres = sharedPostgres()
const redis = sharedRedis()

describe('fleet lifecycle: 10 instances see disable, narrow, roll-grace-end and lowered limits', () => {
  it.runIf(serverRuns('PostgreSQL', postgres))(
    'on PostgreSQL (LISTEN/NOTIFY)',
    async () => {
      if (postgres === null) return
      const stats = await measureLifecycle(postgresMember(postgres, { max: 3 }), {
        rounds: 2,
        instances: 10,
      })
      for (const change of ['disable', 'narrow', 'rollGraceEnd', 'limits'] as const) {
        expect(stats[change].samples).toHaveLength(2)
      }
      console.log(`[fleet lifecycle]\n${formatFleetLifecycle({ postgres: stats })}`)
    },
    120_000,
  )

  it.runIf(serverRuns('Redis', redis))(
    'on Redis (pub/sub)',
    async () => {
      if (redis === null) return
      const stats = await measureLifecycle(redisMember(redis), { rounds: 2, instances: 10 })
      for (const change of ['disable', 'narrow', 'rollGraceEnd', 'limits'] as const) {
        expect(stats[change].samples).toHaveLength(2)
      }
      console.log(`[fleet lifecycle]\n${formatFleetLifecycle({ redis: stats })}`)
    },
    120_000,
  )
})
