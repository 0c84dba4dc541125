/** Starts a bench HTTP server variant in a child process and stops it. */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// Sections run bundled (see bench/index.ts): the server bundle sits next to this one.
const SERVER = fileURLToPath(new URL('./server.mjs', import.meta.url))

export interface ServerProcess {
  readonly variant: string
  readonly url: string
  /** CPU time the server process has used so far, in microseconds (user + system). */
  cpuMicros(): number
  stop(): Promise<void>
}

/** Spawns `bench/http/server.ts <variant>` and resolves once it listens. */
export function startServer(
  variant: string,
  keysFile: string,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, [SERVER, variant, keysFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env, NODE_ENV: 'production' },
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${variant}: no READY within 60 s\n${stderr}`))
    }, 60_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${variant} exited with ${code}\n${stderr}`))
    })
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = /READY (\d+)/.exec(out)
      if (match === null) return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      resolve({
        variant,
        url: `http://127.0.0.1:${match[1]}`,
        cpuMicros: () => cpuMicros(child.pid),
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done()
            child.once('exit', () => done())
            child.kill('SIGTERM')
          }),
      })
    })
  })
}

// /proc/<pid>/stat: utime and stime are fields 14 and 15, in clock ticks (100 per second).
function cpuMicros(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10_000
  } catch {
    return Number.NaN
  }
}
