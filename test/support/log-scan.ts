/**
 * vitest setupFiles: one log scan for every test. Whatever the library logs — through the
 * default console logger (console.warn / console.error) or through any `createLogSink()` logger —
 * is checked after each test for API keys, key secrets, hex digests, JWTs and configured
 * peppers or session secrets (test/support/secret-scan.ts). A test during which such a line was
 * written fails, even when it never looked at its logs.
 */
import { afterAll, afterEach } from 'vitest'
import {
  captureConsole,
  collectLogFindings,
  resetLogCapture,
  resetSecrets,
} from '../support/secret-scan.js'

captureConsole()
// Each test file starts afresh (files may share a process, and a module graph in the mutation run).
resetLogCapture()
resetSecrets()

function check(when: string): void {
  const problems = collectLogFindings()
  if (problems.length > 0) {
    throw new Error(`a log line ${when} holds a secret:\n  ${problems.join('\n  ')}`)
  }
}

afterEach(() => check('written during this test'))
afterAll(() => check('written outside the tests of this file'))
