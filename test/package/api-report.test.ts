/**
 * The public API of every entry point matches the committed report in api/*.api.md, so an
 * accidental change to an export fails here until `npm run api:update` records it on purpose.
 */
import { execFileSync } from 'node:child_process'
import { join, resolve } from 'node:path'
import { expect, inject, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const pkg = inject('package')

it('the built .d.ts of every entry point match api/*.api.md', () => {
  if (pkg === null) throw new Error('globalSetup test/support/global-package.ts did not run')
  let output = ''
  try {
    output = execFileSync(
      process.execPath,
      [join(root, 'scripts', 'api-report.mjs'), '--dist', join(pkg.packageDir, 'dist')],
      { cwd: root, encoding: 'utf8', stdio: 'pipe' },
    )
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    output = `${stdout ?? ''}${stderr ?? ''}`
  }
  expect(output).toMatch(/Public-API report unchanged: \d+ entry points\./)
}, 120_000)
