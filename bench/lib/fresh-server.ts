/**
 * A server process for one run of a comparison (sections 2, 3, 8b and 13): started, checked,
 * sent every key once (so every key is cached) and warmed up, then used and stopped.
 *
 * Why a process per run rather than one per variant for the whole section: two processes of the
 * same server and code can differ by 15 % and more in CPU per request, round after round (an
 * A/A run, 2026-11-30 21:33 UTC, quiet: four long-lived Fastify servers, two of each build, 8
 * alternated rounds; in the first four the two hand-written processes took 12.7–13.2 and
 * 14.6–15.5 µs per request; later A/A runs found 1 % and 5 %: the draw varies;
 * docs/benchmarks.md, "Seventh session"). With one process per variant, every round re-measured
 * the same two processes and a ratio carried their difference however many rounds ran; with a
 * process per run, the median over rounds is over as many process pairs.
 */
import { load, loadAmount, WARMUP_S } from './load.js'
import type { ServerProcess } from './server-process.js'
import { settle } from './settle.js'

/**
 * Starts a server with `start`, checks it with `check` (which throws on a wrong answer), warms
 * it up over `authorizations`, hands it to `use`, and stops it whatever happens.
 */
export async function withFreshServer<T>(
  start: () => Promise<ServerProcess>,
  check: (server: ServerProcess) => Promise<void>,
  authorizations: readonly string[],
  use: (server: ServerProcess) => Promise<T>,
): Promise<T> {
  const server = await start()
  try {
    await check(server)
    await loadAmount(server.url, authorizations, authorizations.length)
    await load(server.url, authorizations, WARMUP_S)
    // A warm-up of a slow server (bearer-auth) leaves requests in flight: finish them first.
    await settle(server)
    return await use(server)
  } finally {
    await server.stop()
  }
}
