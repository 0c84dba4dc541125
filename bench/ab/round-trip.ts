/**
 * What one Redis round trip costs the client's CPU on this machine, whatever is sent (not a
 * section of `npm run bench`: the floor under an exact Redis limit, which waits for one round
 * trip per event-loop turn; docs/benchmarks.md, "Eighth session").
 *
 * ```sh
 * taskset -c 1 node --import tsx bench/ab/round-trip.ts
 * ```
 *
 * One throwaway `redis-server` pinned to CPU 0 (the bench's load core), this process on the
 * CPU it was started on. Each figure is this process's CPU time (user + system,
 * `process.cpuUsage`) over `CALLS` sequential round trips, one at a time: `PING` through
 * ioredis, `PING` written on a bare socket (no client library at all), and a `RedisLimitStore`
 * charge alone in its turn (one check per script call). Rounds repeat the three.
 * Environment: `CALLS` per figure (20,000), `ROUNDS` (3).
 */
import { execFileSync } from 'node:child_process'
import { connect } from 'node:net'
import { Redis } from 'ioredis'
import { RedisLimitStore } from '../../adapters/stores/redis/index.js'
import { startRedis } from '../../test/support/servers.js'
import { summarize } from '../lib/stats.js'

const CALLS = Number(process.env.CALLS ?? 20_000)
const ROUNDS = Number(process.env.ROUNDS ?? 3)

const redis = await startRedis()
execFileSync('taskset', ['-a', '-p', '-c', '0', String(redis.pid)], { stdio: 'ignore' })
const client = new Redis(redis.info)
const socket = connect(redis.info.port, redis.info.host)
socket.setNoDelay(true)
await new Promise((resolve) => socket.once('connect', resolve))
let answered: () => void = () => {}
socket.on('data', () => answered())
const store = new RedisLimitStore(client, { prefix: 'round-trip:' })
const rate = [{ name: 'minute', limit: 1_000_000_000, windowMs: 60_000 }]

// CPU µs per call of `once`, awaited one at a time.
async function cpuPerCall(once: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 1_000; i++) await once(i)
  const before = process.cpuUsage()
  for (let i = 0; i < CALLS; i++) await once(i)
  const used = process.cpuUsage(before)
  return (used.user + used.system) / CALLS
}

const figures: Record<string, number[]> = {
  'ioredis PING': [],
  'bare socket PING': [],
  'RedisLimitStore charge, alone in its turn': [],
}
try {
  for (let round = 0; round < ROUNDS; round++) {
    figures['ioredis PING']?.push(await cpuPerCall(() => client.ping()))
    figures['bare socket PING']?.push(
      await cpuPerCall(
        () =>
          new Promise<void>((resolve) => {
            answered = resolve
            socket.write('PING\r\n')
          }),
      ),
    )
    figures['RedisLimitStore charge, alone in its turn']?.push(
      await cpuPerCall((i) =>
        store.consume({ subject: `key:${i % 1_000}`, rate, cost: 1, now: Date.now() }),
      ),
    )
  }
  for (const [name, values] of Object.entries(figures)) {
    const s = summarize(values)
    console.log(
      `${name}: ${s.median.toFixed(1)} µs of client CPU per round trip (${s.min.toFixed(1)}–${s.max.toFixed(1)}, ${ROUNDS} rounds)`,
    )
  }
} finally {
  socket.destroy()
  client.disconnect()
  await redis.stop()
}
