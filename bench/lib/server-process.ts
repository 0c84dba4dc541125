/** Starts a bench HTTP server variant in a child process and stops it. */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const SERVER = fileURLToPath(new URL('../http/server.ts', import.meta.url))

export interface ServerProcess {
  readonly variant: string
  readonly url: string
  stop(): Promise<void>
}

/** Spawns `bench/http/server.ts <variant>` and resolves once it listens. */
export function startServer(
  variant: string,
  keysFile: string,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', SERVER, variant, keysFile],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env, NODE_ENV: 'production' } },
  )
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
