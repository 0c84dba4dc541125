/**
 * The store timeout keeps the process alive while someone waits: in a process with nothing else
 * on the event loop, a store that never answers still ends in 503 AUTH_UNAVAILABLE (an unref'd
 * timer let such a process exit with code 13, the promise never settled).
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const script = join(import.meta.dirname, 'fixtures', 'hanging-store.ts')

describe('a hanging store in a short-lived process', () => {
  it.each(['verify', 'list', 'create'])('%s settles with AUTH_UNAVAILABLE', (operation) => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', script, operation], {
      encoding: 'utf8',
      timeout: 15_000,
    })
    expect({ status: run.status, stdout: run.stdout.trim(), stderr: run.stderr }).toEqual({
      status: 0,
      stdout: 'AUTH_UNAVAILABLE',
      stderr: '',
    })
  })
})
