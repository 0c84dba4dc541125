/**
 * Real PostgreSQL and Redis servers for tests and benchmarks: each on a free port of 127.0.0.1,
 * data in a temp dir, stoppable, killable (SIGKILL) and restartable on the same port and data.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Where the server binaries are, or `undefined` for each one that is missing. */
export interface ServerBinaries {
  initdb?: string
  postgres?: string
  redis?: string
}

/** Connection info of a PostgreSQL server (serializable, for vitest `provide`). */
export interface PostgresInfo {
  host: string
  port: number
  user: string
  database: string
}

/** Connection info of a Redis server (serializable, for vitest `provide`). */
export interface RedisInfo {
  host: string
  port: number
}

/** A running server the test owns. */
export interface ManagedServer<Info> {
  readonly info: Info
  /** Process id of the current server process, `undefined` while it is down. */
  readonly pid: number | undefined
  /** Graceful shutdown; data is kept for `restart()`. */
  stop(): Promise<void>
  /** SIGKILL the whole process group (a crash): no shutdown, no goodbye to clients. */
  kill(): Promise<void>
  /** Starts it again on the same port and data dir (stopping it first if it runs). */
  restart(): Promise<void>
  /** Stops it and deletes its data. */
  close(): Promise<void>
}

/** The install command printed when a binary is missing. */
export const INSTALL_COMMAND = 'apt-get install -y postgresql redis-server'

const HOST = '127.0.0.1'

function which(name: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' })
  const found = result.stdout.trim()
  return result.status === 0 && found !== '' ? found : undefined
}

function postgresBinDir(): string | undefined {
  const fromPath = which('initdb')
  if (fromPath !== undefined) return join(fromPath, '..')
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin')
}

/** Finds `initdb`, `postgres` and `redis-server`. */
export function findBinaries(): ServerBinaries {
  const pgBin = postgresBinDir()
  return {
    initdb: pgBin === undefined ? undefined : join(pgBin, 'initdb'),
    postgres: pgBin === undefined ? undefined : join(pgBin, 'postgres'),
    redis: which('redis-server'),
  }
}

/** Binds `port` (0: any) on {@link HOST} and releases it; the port bound, or `undefined` if taken. */
function tryBind(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(undefined))
    server.listen(port, HOST, () => {
      const address = server.address()
      const bound = typeof address === 'object' && address !== null ? address.port : undefined
      server.close(() => resolve(bound))
    })
  })
}

/** The kernel's range of ephemeral ports (outgoing connections and `listen(0)` draw from it). */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number)
    if (Number.isInteger(low) && Number.isInteger(high)) return [low as number, high as number]
  } catch {
    // Not Linux: the IANA dynamic range is the usual default.
  }
  return [49152, 65535]
}

/**
 * A port that was free a moment ago, chosen outside the kernel's ephemeral range: a server that
 * is stopped and restarted on it must find it free again, and the kernel hands ephemeral ports
 * to every outgoing connection on the machine (our clients' included), which could take it in
 * the meantime. Only a process that binds this very port on purpose can.
 */
export async function freePort(): Promise<number> {
  const [low, high] = ephemeralRange()
  // Below the ephemeral range (above the well-known and the commonly used low ports), or above.
  const [from, to] = low - 10_000 >= 65_535 - high ? [10_000, low - 1] : [high + 1, 65_535]
  for (let attempt = 0; attempt < 50 && to - from > 100; attempt++) {
    const candidate = from + Math.floor(Math.random() * (to - from + 1))
    if ((await tryBind(candidate)) !== undefined) return candidate
  }
  // Nothing free out there (or no such range): any port the kernel picks.
  const port = await tryBind(0)
  if (port === undefined) throw new Error('no free port on 127.0.0.1')
  return port
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

// initdb and postgres refuse to run as root: run them as the `postgres` system user then.
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const id = (flag: string): number => {
    const out = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' })
    if (out.status !== 0) throw new Error('running as root but there is no `postgres` user')
    return Number(out.stdout.trim())
  }
  return { uid: id('-u'), gid: id('-g') }
}

/** Sends one command in RESP and reads the first reply line, `undefined` on any failure. */
function redisPing(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port })
    let data = ''
    const done = (value: string | undefined): void => {
      socket.destroy()
      resolve(value)
    }
    socket.setTimeout(500, () => done(undefined))
    socket.once('error', () => done(undefined))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      data += chunk.toString()
      if (data.includes('\r\n')) done(data.split('\r\n')[0])
    })
  })
}

/** PostgreSQL answers the startup of a TCP connection once it accepts connections. */
async function postgresReady(port: number): Promise<boolean> {
  const { default: pg } = await import('pg')
  const client = new pg.Client({
    host: HOST,
    port,
    user: 'postgres',
    database: 'postgres',
    connectionTimeoutMillis: 1000,
  })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

async function waitUntil(
  what: string,
  child: () => ChildProcess | undefined,
  log: () => string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const proc = child()
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`${what} exited during start-up:\n${log()}`)
    }
    if (await check()) return
    await sleep(50)
  }
  throw new Error(`${what} did not become ready in ${timeoutMs} ms:\n${log()}`)
}

const running = new Set<ChildProcess>()
const dataDirs = new Set<string>()
let exitHookInstalled = false

// A crashed or interrupted test run must not leave servers (or their data) behind.
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const proc of running) killGroup(proc, 'SIGKILL')
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true })
  })
}

function track(child: ChildProcess): void {
  installExitHook()
  running.add(child)
  child.once('exit', () => running.delete(child))
}

function trackDir(dir: string): string {
  installExitHook()
  dataDirs.add(dir)
  return dir
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    try {
      child.kill(signal)
    } catch {
      // Already gone.
    }
  }
}

async function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

interface Spec {
  name: string
  command: string
  args: string[]
  user?: { uid: number; gid: number }
  ready: () => Promise<boolean>
  stopSignal: NodeJS.Signals
  cleanup: () => Promise<void>
}

function manage<Info>(info: Info, spec: Spec): ManagedServer<Info> & { start(): Promise<void> } {
  let child: ChildProcess | undefined
  let log = ''
  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child
    if (proc === undefined) return
    killGroup(proc, signal)
    if (!(await waitForExit(proc, 10_000))) {
      killGroup(proc, 'SIGKILL')
      await waitForExit(proc, 5_000)
    }
    child = undefined
  }
  const start = async (): Promise<void> => {
    // After a SIGKILL, orphaned children (PostgreSQL backends) may still hold shared memory for
    // a moment; the first start attempt can then fail, so try a few times.
    for (let attempt = 1; ; attempt++) {
      log = ''
      const proc = spawn(spec.command, spec.args, {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(spec.user ?? {}),
      })
      track(proc)
      proc.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()))
      proc.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()))
      child = proc
      try {
        await waitUntil(
          spec.name,
          () => child,
          () => log,
          spec.ready,
        )
        return
      } catch (error) {
        await halt('SIGKILL')
        if (attempt >= 5) throw error
        await sleep(200 * attempt)
      }
    }
  }
  return {
    info,
    get pid() {
      return child?.pid
    },
    start,
    stop: () => halt(spec.stopSignal),
    kill: () => halt('SIGKILL'),
    restart: async () => {
      await halt(spec.stopSignal)
      await start()
    },
    close: async () => {
      await halt(spec.stopSignal)
      await spec.cleanup()
    },
  }
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Binaries; found with {@link findBinaries} when omitted. */
  binaries?: ServerBinaries
  /** Largest number of client connections. @defaultValue `200` */
  maxConnections?: number
  /** More server settings, each passed as `-c name=value` (after the defaults, so they win). */
  settings?: Record<string, string>
}

/** Runs `initdb` into a temp dir (trust auth, fsync off) and starts PostgreSQL on a free port. */
export async function startPostgres(
  options: StartPostgresOptions = {},
): Promise<ManagedServer<PostgresInfo>> {
  const binaries = options.binaries ?? findBinaries()
  if (binaries.initdb === undefined || binaries.postgres === undefined) {
    throw new Error(`PostgreSQL is not installed (${INSTALL_COMMAND})`)
  }
  const user = postgresUser()
  const root = trackDir(await mkdtemp(join(tmpdir(), 'vydra-pg-')))
  const dataDir = join(root, 'data')
  const socketDir = join(root, 'sock')
  await mkdir(dataDir, { mode: 0o700 })
  await mkdir(socketDir, { mode: 0o700 })
  if (user !== undefined) {
    for (const dir of [root, dataDir, socketDir]) await chown(dir, user.uid, user.gid)
  }
  const init = spawnSync(
    binaries.initdb,
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'],
    { encoding: 'utf8', ...(user ?? {}) },
  )
  if (init.status !== 0) {
    await rm(root, { recursive: true, force: true })
    throw new Error(`initdb failed:\n${init.stdout}\n${init.stderr}`)
  }
  const port = await freePort()
  const info: PostgresInfo = { host: HOST, port, user: 'postgres', database: 'postgres' }
  const server = manage(info, {
    name: 'postgres',
    command: binaries.postgres,
    args: [
      '-D',
      dataDir,
      '-k',
      socketDir,
      '-h',
      HOST,
      '-p',
      String(port),
      '-F',
      '-c',
      `max_connections=${options.maxConnections ?? 200}`,
      '-c',
      'full_page_writes=off',
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => [
        '-c',
        `${name}=${value}`,
      ]),
    ],
    user,
    ready: () => postgresReady(port),
    // SIGINT is PostgreSQL's "fast" shutdown: disconnect clients, then stop.
    stopSignal: 'SIGINT',
    cleanup: () => rm(root, { recursive: true, force: true }),
  })
  await server.start()
  return server
}

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** Binaries; found with {@link findBinaries} when omitted. */
  binaries?: ServerBinaries
  /**
   * Append-only file with fsync on every write, so data survives `kill()` + `restart()`.
   * @defaultValue `false` (no persistence at all)
   */
  persistent?: boolean
  /**
   * More configuration directives, each passed as `--name value…` after the defaults (so they
   * win; `save` adds save points), e.g. `{ save: ['3600', '1'] }` for snapshot-only persistence.
   * Give a directive of several arguments as an array: Redis quotes each argument.
   */
  config?: Record<string, string | string[]>
}

/** Starts `redis-server` on a free port of 127.0.0.1. */
export async function startRedis(
  options: StartRedisOptions = {},
): Promise<ManagedServer<RedisInfo>> {
  const binaries = options.binaries ?? findBinaries()
  if (binaries.redis === undefined) {
    throw new Error(`redis-server is not installed (${INSTALL_COMMAND})`)
  }
  const dir = trackDir(await mkdtemp(join(tmpdir(), 'vydra-redis-')))
  const port = await freePort()
  const persistence =
    options.persistent === true
      ? ['--appendonly', 'yes', '--appendfsync', 'always']
      : ['--appendonly', 'no']
  const server = manage<RedisInfo>(
    { host: HOST, port },
    {
      name: 'redis-server',
      command: binaries.redis,
      args: [
        '--port',
        String(port),
        '--bind',
        HOST,
        '--save',
        '',
        '--dir',
        dir,
        '--daemonize',
        'no',
        ...persistence,
        ...Object.entries(options.config ?? {}).flatMap(([name, value]) => [
          `--${name}`,
          ...(Array.isArray(value) ? value : [value]),
        ]),
      ],
      ready: async () => (await redisPing(port)) === '+PONG',
      stopSignal: 'SIGTERM',
      cleanup: () => rm(dir, { recursive: true, force: true }),
    },
  )
  await server.start()
  return server
}
