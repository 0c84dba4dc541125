/**
 * Measuring one HTTP server run and judging a throughput target from runs made side by side, by
 * the rule of section 2 (bench/http.ts): a ratio counts by req/s only when both servers were the
 * bottleneck (saturated), else by CPU per request when nothing else ran on the server core, else
 * it is not valid. Used by sections 2–3 (bench/http.ts) and the Hono section (bench/hono.ts).
 */
import { cpuJiffies, serverCpu } from './cpu.js'
import { load, type LoadResult } from './load.js'
import type { ServerProcess } from './server-process.js'
import { settle } from './settle.js'
import { formatRatio, met, type Summary, summarize } from './stats.js'
import { recordTarget, type TargetId } from './targets.js'

/** Share of its core a server must use for its req/s to count (see bench/http.ts). */
export const SATURATED = 0.9
/** Largest share of the server core other processes may use for CPU/req to count. */
export const MAX_INTERFERENCE = 0.1

/**
 * One measured run, with the server's CPU time per request, its share of its core, and the
 * share of that core other processes used (`NaN` unpinned).
 */
export type Run = LoadResult & { cpuPerRequest: number; serverShare: number; interference: number }

/**
 * One timed load run against `server` (over `connections`, default `--connections`), with its
 * CPU accounting from /proc. Resolves once the server has finished what the run left in flight
 * (./settle.ts), so that the next run, on whichever server, has the server core to itself.
 */
export async function measureRun(
  server: ServerProcess,
  authorizations: readonly string[],
  connections?: number,
): Promise<Run> {
  const core = serverCpu()
  const coreBefore = core === undefined ? undefined : cpuJiffies(core)
  const cpuBefore = server.cpuMicros()
  const result = await load(server.url, authorizations, undefined, connections)
  const cpu = server.cpuMicros() - cpuBefore
  const coreAfter = core === undefined ? undefined : cpuJiffies(core)
  await settle(server)
  const serverShare = cpu / 1e6 / result.seconds
  const coreShare =
    coreBefore === undefined || coreAfter === undefined
      ? Number.NaN
      : (coreAfter.busy - coreBefore.busy) / (coreAfter.total - coreBefore.total)
  return {
    ...result,
    cpuPerRequest: cpu / result.total,
    serverShare,
    interference: Math.max(0, coreShare - serverShare),
  }
}

export const percent = (share: number): string => `${(share * 100).toFixed(0)} %`

/** Judging helpers over the runs of each variant (same index = same round). */
export interface RunJudge {
  median(variant: string, pick: (r: Run) => number): number
  /** Per round, `ours` req/s over `theirs`. */
  ratio(ours: string, theirs: string): Summary
  failures(variant: string): number
  /** `server / generator` CPU shares, for the report. */
  shares(variant: string): string
  /**
   * `[ratios, verdict]` of `ours` over `theirs` against `goal`; recorded as target `id` for the
   * final table when given.
   */
  target(id: TargetId | undefined, ours: string, theirs: string, goal: number): string[]
}

export function judge(of: (variant: string) => readonly Run[]): RunJudge {
  const median = (v: string, pick: (r: Run) => number): number => summarize(of(v).map(pick)).median
  // Per round: ours over theirs (req/s), and theirs over ours (CPU per request).
  const ratio = (ours: string, theirs: string): Summary =>
    summarize(of(ours).map((r, round) => r.rps / (of(theirs)[round]?.rps ?? Number.NaN)))
  const cpuRatio = (ours: string, theirs: string): Summary =>
    summarize(
      of(ours).map(
        (r, round) => (of(theirs)[round]?.cpuPerRequest ?? Number.NaN) / r.cpuPerRequest,
      ),
    )
  const saturated = (v: string): boolean => median(v, (r) => r.serverShare) >= SATURATED
  const quiet = (v: string): boolean => median(v, (r) => r.interference) < MAX_INTERFERENCE
  const failures = (v: string): number => of(v).reduce((sum, r) => sum + r.failures, 0)
  const shares = (v: string): string =>
    `${percent(median(v, (r) => r.serverShare))} / ${percent(median(v, (r) => r.generatorShare))}`
  const target = (id: TargetId | undefined, ours: string, theirs: string, goal: number) => {
    const r = ratio(ours, theirs)
    const byCpu = cpuRatio(ours, theirs)
    const clean = failures(ours) + failures(theirs) === 0
    const bySaturation = clean && saturated(ours) && saturated(theirs)
    const byCost = clean && !bySaturation && quiet(ours) && quiet(theirs)
    const basis = bySaturation ? 'req/s' : byCost ? 'CPU/req' : undefined
    const decisive = bySaturation ? r : byCpu
    if (id !== undefined) {
      recordTarget({
        id,
        measured: `${formatRatio(decisive)} by ${basis ?? 'CPU/req'}`,
        met: basis === undefined ? undefined : decisive.median >= goal,
        note:
          `req/s ${formatRatio(r)}, CPU/req ${formatRatio(byCpu)}; server / generator CPU ` +
          `${shares(ours)} vs ${shares(theirs)}; other work on the server core ` +
          `${percent(median(ours, (x) => x.interference))} / ${percent(median(theirs, (x) => x.interference))}`,
      })
    }
    const verdict =
      basis === undefined
        ? `not valid (${clean ? 'server core shared' : 'failed responses'})`
        : `${met(decisive.median >= goal)} (by ${basis})`
    return [`${formatRatio(r)}; by CPU/req ${formatRatio(byCpu)}`, verdict]
  }
  return { median, ratio, failures, shares, target }
}
