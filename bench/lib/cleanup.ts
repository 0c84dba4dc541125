/**
 * Clean-up that also runs on Ctrl-C. Node exits on SIGINT/SIGTERM without running 'exit'
 * handlers, and PostgreSQL and Redis run in their own process groups (test/support/servers.ts),
 * so a terminal's Ctrl-C would leave them and their data dirs behind: turn those signals into
 * an ordinary exit, whose handlers (servers.ts's and {@link removeOnExit}'s) then run.
 */
import { rmSync } from 'node:fs'

let installed = false

/** SIGINT, SIGTERM and SIGHUP end the process through `process.exit`. */
export function exitOnSignals(): void {
  if (installed) return
  installed = true
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.once(signal, () => process.exit(code))
  }
}

/** Deletes `dir` when the process exits, whatever the way (see {@link exitOnSignals}). */
export function removeOnExit(dir: string): string {
  exitOnSignals()
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  return dir
}
