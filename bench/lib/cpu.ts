/**
 * CPU pinning with `taskset` (util-linux): the measured process (an HTTP server, a database
 * server, the in-process core loop) on one core, the load generator and the bench's own clients
 * on another, so the two never compete for a core and ratios stop swinging with the scheduler.
 *
 * `bench/index.ts` decides once and hands the decision to every section in `VYDRA_BENCH_PIN`
 * (a section already pinned to one core could not see the others any more); a section run on its
 * own decides for itself. Without `taskset`, with fewer than 2 usable CPUs, or with `--no-pin`,
 * everything runs unpinned and the report header says so.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

/** `server`: what is measured. `load`: what measures it (autocannon, bench clients). */
export type Role = 'server' | 'load'

export interface PinPlan {
  /** CPU of each role, or `undefined` when unpinned. */
  readonly cpus: Readonly<Record<Role, number>> | undefined
  /** Why it is unpinned, when it is. */
  readonly reason?: string
  /** One line for the report header. */
  readonly describe: string
}

const ENV = 'VYDRA_BENCH_PIN'

/** CPUs this process may run on (`Cpus_allowed_list` of /proc/self/status), e.g. `[0, 1]`. */
function allowedCpus(): number[] | undefined {
  try {
    const status = readFileSync('/proc/self/status', 'utf8')
    const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1]
    if (list === undefined) return undefined
    const cpus: number[] = []
    for (const part of list.split(',')) {
      const [from, to = from] = part.split('-').map(Number) as [number, number?]
      for (let cpu = from; cpu <= (to as number); cpu++) cpus.push(cpu)
    }
    return cpus
  } catch {
    return undefined
  }
}

function hasTaskset(): boolean {
  const run = spawnSync('taskset', ['--version'], { stdio: 'ignore' })
  return run.error === undefined && run.status === 0
}

function decode(value: string): PinPlan | undefined {
  const pinned = /^(\d+),(\d+)$/.exec(value)
  if (pinned !== null) return plan({ server: Number(pinned[1]), load: Number(pinned[2]) })
  if (value.startsWith('off:')) return unpinned(value.slice(4))
  return undefined
}

function plan(cpus: Record<Role, number>): PinPlan {
  return {
    cpus,
    describe:
      `pinned with taskset: measured processes (HTTP servers, PostgreSQL, Redis, the in-process ` +
      `core and memory loops) on CPU ${cpus.server}; load generator and bench clients on CPU ` +
      `${cpus.load}`,
  }
}

function unpinned(why: string): PinPlan {
  return {
    cpus: undefined,
    reason: why,
    describe: `**not pinned** (${why}): servers and load generator share the CPUs, ratios swing more`,
  }
}

let decided: PinPlan | undefined

/**
 * The pinning of this run: inherited from `VYDRA_BENCH_PIN`, or decided here (and exported to
 * that variable, so that every child agrees).
 */
export function pinPlan(): PinPlan {
  if (decided !== undefined) return decided
  const inherited = process.env[ENV]
  decided = inherited === undefined ? undefined : decode(inherited)
  if (decided === undefined) {
    const cpus = allowedCpus()
    if (process.argv.includes('--no-pin')) decided = unpinned('--no-pin')
    else if (!hasTaskset()) decided = unpinned('taskset not found: apt-get install util-linux')
    else if (cpus === undefined) decided = unpinned('cannot read the allowed CPUs')
    else if (cpus.length < 2) decided = unpinned(`${cpus.length} CPU available, 2 needed`)
    else decided = plan({ server: cpus[cpus.length - 1] as number, load: cpus[0] as number })
    process.env[ENV] =
      decided.cpus === undefined
        ? `off:${decided.reason}`
        : `${decided.cpus.server},${decided.cpus.load}`
  }
  return decided
}

function taskset(args: string[]): void {
  const run = spawnSync('taskset', args, { encoding: 'utf8' })
  if (run.error !== undefined || run.status !== 0) {
    throw new Error(`taskset ${args.join(' ')} failed: ${run.error?.message ?? run.stderr}`)
  }
}

/** `CPU 1`, or `any CPU (not pinned)`, for notes. */
export function cpuOf(role: Role): string {
  const cpus = pinPlan().cpus
  return cpus === undefined ? 'any CPU (not pinned)' : `CPU ${cpus[role]}`
}

/** Moves every thread of this process to the CPU of `role` (no-op when unpinned). */
export function pinSelf(role: Role): void {
  const cpus = pinPlan().cpus
  if (cpus !== undefined) taskset(['-a', '-cp', String(cpus[role]), String(process.pid)])
}

/** `[command, args]` that start `command args` on the CPU of `role` (unchanged when unpinned). */
export function pinnedCommand(role: Role, command: string, args: string[]): [string, string[]] {
  const cpus = pinPlan().cpus
  return cpus === undefined
    ? [command, args]
    : ['taskset', ['-c', String(cpus[role]), command, ...args]]
}

// Children of `pid`, from the ppid field of every /proc/<n>/stat.
function childrenOf(pid: number): number[] {
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) out.push(Number(entry))
    } catch {
      // Gone meanwhile.
    }
  }
  return out
}

/**
 * Moves a running process, all its threads and its current descendants to the CPU of `role`
 * (processes it forks later inherit the CPU). For servers started by test/support/servers.ts:
 * PostgreSQL forks a backend per connection from the pinned postmaster.
 */
export function pinTree(pid: number | undefined, role: Role): void {
  const cpus = pinPlan().cpus
  if (cpus === undefined || pid === undefined) return
  const pending = [pid]
  for (let seen = 0; pending.length > 0 && seen < 10_000; seen++) {
    const next = pending.pop() as number
    try {
      taskset(['-a', '-cp', String(cpus[role]), String(next)])
    } catch (error) {
      // A process that exited meanwhile is not an error; anything else is.
      if (next === pid) throw error
    }
    pending.push(...childrenOf(next))
  }
}

/** CPU time (user + system) a process has used so far, in microseconds, from /proc. */
export function cpuMicros(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second).
    return (Number(fields[11]) + Number(fields[12])) * 10_000
  } catch {
    return Number.NaN
  }
}

/**
 * Busy and total jiffies of one CPU so far, from /proc/stat (busy = everything but idle and
 * iowait; steal counts as busy: the hypervisor took the core). `undefined` when unreadable.
 */
export function cpuJiffies(cpu: number): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`cpu${cpu} `))
    if (line === undefined) return undefined
    const f = line.trim().split(/\s+/).slice(1).map(Number)
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0)
    const idle = (f[3] ?? 0) + (f[4] ?? 0)
    return { busy: total - idle, total }
  } catch {
    return undefined
  }
}

/** The server CPU's number when pinned, for {@link cpuJiffies}. */
export function serverCpu(): number | undefined {
  return pinPlan().cpus?.server
}
