/** Running `vydra-auth` in tests: in process through `run`, or as a real process. */
import { execFile } from 'node:child_process'
import { run } from '../../adapters/cli/main.js'

/** What one run printed and its exit code. */
export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the CLI in this process with captured streams (`tty` makes them terminals). */
export async function cli(
  args: string[],
  env: Record<string, string | undefined> = {},
  tty = false,
): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  const code = await run(args, {
    stdout: { write: (text) => void (stdout += text), isTTY: tty },
    stderr: { write: (text) => void (stderr += text), isTTY: tty },
    env,
  })
  return { code, stdout, stderr }
}

/** Runs `node <entry> …args` as a child process (the executable's own exit code). */
export function cliProcess(
  command: string[],
  env: Record<string, string | undefined> = {},
  cwd = process.cwd(),
  timeoutMs = 60_000,
): Promise<CliResult & { ms: number }> {
  const started = Date.now()
  return new Promise((resolve) => {
    const [file = 'node', ...args] = command
    execFile(
      file,
      args,
      {
        cwd,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        timeout: timeoutMs,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
        resolve({ code, stdout, stderr, ms: Date.now() - started })
      },
    )
  })
}
