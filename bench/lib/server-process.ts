/** Starts a bench HTTP server variant in a child process and stops it. */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { exitOnSignals } from './cleanup.js'
import { cpuMicros, pinnedCommand } from './cpu.js'

// Sections run bundled (see bench/index.ts): the server bundle sits next to this one.
const SERVER = fileURLToPath(new URL('./server.mjs', import.meta.url))

export interface ServerProcess {
  readonly variant: string
  readonly url: string
  /** CPU time the server process has used so far, in microseconds (user + system). */
  cpuMicros(): number
  stop(): Promise<void>
}

// Servers still running when the section exits (even on a signal, see ./cleanup.ts) are killed.
const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/** Which program serves a variant: by default this Node running `bench/http/server.ts`. */
export interface Launch {
  /** The executable, e.g. Bun's binary. */
  command: string
  /** The bundled server script it runs. */
  script: string
}

/**
 * Spawns `bench/http/server.ts <variant>` (or `launch`'s script with its executable) on the
 * server CPU (see ./cpu.ts) and resolves once it listens.
 */
export function startServer(
  variant: string,
  keysFile: string,
  env: Record<string, string> = {},
  launch: Launch = { command: process.execPath, script: SERVER },
): Promise<ServerProcess> {
  // `taskset -c N node …` execs node: the child's pid is the server's, for its CPU time.
  const [command, args] = pinnedCommand('server', launch.command, [
    launch.script,
    variant,
    keysFile,
  ])
  const child: ChildProcess = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env, NODE_ENV: 'production' },
  })
  exitOnSignals()
  running.add(child)
  child.once('exit', () => running.delete(child))
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
