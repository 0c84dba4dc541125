/**
 * What the Redis limit script costs Redis per check, for two checkouts, timed inside Redis (not
 * a section of `npm run bench`: a tool for deciding a change to the script; docs/benchmarks.md,
 * "Eighth session"). Redis is single-threaded and every instance of a fleet shares it, so its
 * CPU per check bounds the fleet's limited requests per second, and on the bench machine Redis
 * shares the load generator's core.
 *
 * ```sh
 * node --import tsx bench/ab/redis-script.ts <checkout A> <checkout B>
 * ```
 *
 * One throwaway `redis-server` (test/support/servers.ts). Per checkout, one key is charged until
 * its one rate limit (a minute, 20 buckets of 3 s) holds a full window, as a key charged every
 * few seconds does; then each round runs the checkout's script with its batch loop replaced by
 * `CALLS` charges of that key at one instant, between two `TIME` calls inside the script (so the
 * figure is Redis's work alone: no client, no socket). Rounds alternate direction.
 * Environment: `CALLS` per round (20,000), `ROUNDS` (9).
 */
import { resolve } from 'node:path'
import { Redis } from 'ioredis'
import { startRedis } from '../../test/support/servers.js'
import { summarize } from '../lib/stats.js'
import { importFrom } from './checkout.js'

const roots = process.argv.slice(2).map((root) => resolve(root))
if (roots.length !== 2) throw new Error('usage: redis-script.ts <checkout A> <checkout B>')
const CALLS = Number(process.env.CALLS ?? 20_000)
const ROUNDS = Number(process.env.ROUNDS ?? 9)

const T0 = Date.UTC(2026, 0, 1)
const argAt = (now: number): string =>
  JSON.stringify({
    rate: [{ name: 'minute', limit: 1_000_000_000, windowMs: 60_000 }],
    cost: 1,
    now,
  })

// The script's functions, then a loop of charges timed by Redis's own clock (µs).
const BATCH_LOOP = /\nlocal out = \{\}[\s\S]*$/
function timed(script: string): string {
  if (!BATCH_LOOP.test(script)) throw new Error('the script has no batch loop to replace')
  return `${script.replace(BATCH_LOOP, '\n')}
local t0 = redis.call('TIME')
for _ = 1, ${CALLS} do consume(KEYS[1], ARGV[1]) end
local t1 = redis.call('TIME')
return (t1[1] - t0[1]) * 1000000 + (t1[2] - t0[2])`
}

const redis = await startRedis()
const client = new Redis(redis.info)
try {
  const scripts = await Promise.all(
    roots.map(async (root) => {
      const module = await importFrom<{ CONSUME: string }>(
        root,
        'adapters/stores/redis/limit-script.ts',
      )
      return module.CONSUME
    }),
  )
  // A full window per checkout (each its own key: the state formats may differ).
  for (const [i, script] of scripts.entries()) {
    for (let bucket = 0; bucket < 20; bucket++) {
      await client.eval(script, 1, `state:${i}`, argAt(T0 + bucket * 3_000))
    }
  }
  const perCheck: number[][] = roots.map(() => [])
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0]
    for (const i of order) {
      const micros = Number(
        await client.eval(timed(scripts[i] as string), 1, `state:${i}`, argAt(T0 + 60_000)),
      )
      perCheck[i]?.push((micros * 1000) / CALLS)
    }
  }
  for (const [i, root] of roots.entries()) {
    const s = summarize(perCheck[i] as number[])
    console.log(
      `${i === 0 ? 'A' : 'B'} ${root}: ${s.median.toFixed(0)} ns of Redis per check (${s.min.toFixed(0)}–${s.max.toFixed(0)}, ${ROUNDS} rounds)`,
    )
  }
} finally {
  client.disconnect()
  await redis.stop()
}
