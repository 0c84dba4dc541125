/**
 * Waiting until a server has finished the work a load run left it: a server whose requests take
 * milliseconds each (bearer-auth comparing against 1,000 keys, ~14 ms on Hono through WebCrypto)
 * still computes the requests in flight after the generator has closed its connections, on the
 * server core, during the next variant's run. Measured on the Hono section: 60–170 ms of CPU
 * after each bearer-auth run, most of the first tenth of the next 3 s run (docs/benchmarks.md,
 * section 13, "Method").
 */
import type { ServerProcess } from './server-process.js'

/** Poll interval; the CPU time of /proc is in ticks of 10 ms. */
const POLL_MS = 100
/** At most one tick of CPU per poll counts as idle (≤ 10 % of a core). */
const IDLE_MICROS = 10_000
/** Never wait longer than this (a server busy for other reasons must not stall the bench). */
const MAX_WAIT_MS = 3_000

/** Resolves once `server` used at most one tick of CPU in a poll interval, or after 3 s. */
export async function settle(server: ServerProcess): Promise<void> {
  let before = server.cpuMicros()
  if (Number.isNaN(before)) return
  for (let waited = 0; waited < MAX_WAIT_MS; waited += POLL_MS) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    const now = server.cpuMicros()
    if (!(now - before > IDLE_MICROS)) return
    before = now
  }
}
