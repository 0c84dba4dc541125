/**
 * `npx vydra-auth` from the packed tarball in a fresh project outside the repository: the `bin`
 * is installed and runs, works on a real PostgreSQL with only `pg` added, and names the package
 * to install for a store whose driver is missing.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { cliProcess } from '../cli/run-cli.js'
import { serverRuns, sharedPostgres, uniqueName } from '../stores/helpers.js'

const pkg = inject('package')
const postgres = sharedPostgres()
const dir = mkdtempSync(join(tmpdir(), 'vydra-cli-consumer-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

beforeAll(() => {
  if (pkg === null) throw new Error('globalSetup test/support/global-package.ts did not run')
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'cli-consumer', private: true, type: 'module' }),
  )
  // Only the tarball and pg: the other drivers are missing on purpose.
  execFileSync(
    'npm',
    [
      'install',
      pkg.tarball,
      'pg',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--no-package-lock',
      '--loglevel=error',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  )
}, 240_000)

const npx = (args: string[], env: Record<string, string> = {}) =>
  cliProcess(['npx', 'vydra-auth', ...args], { ...env, npm_config_yes: 'false' }, dir)

describe('npx vydra-auth from the tarball', () => {
  test('--help runs from node_modules/.bin', async () => {
    const result = await npx(['--help'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('Usage: vydra-auth <command>')
  })

  test.each([
    ['redis://127.0.0.1:1', 'ioredis'],
    ['sqlite:./keys.db', 'better-sqlite3'],
  ])('a store whose driver is missing (%s): exit 2 naming %s', async (store, driver) => {
    const result = await npx(['keys', 'list', '--user', 'u', '--store', store])
    expect(result.code, result.stderr).toBe(2)
    expect(result.stderr).toContain(`Install it: npm install ${driver}`)
  })

  test.runIf(serverRuns('postgres', postgres))(
    'migrate, create and list on a real PostgreSQL; scopes checked against a config file',
    async () => {
      const store = `postgres://${postgres?.user}@${postgres?.host}:${postgres?.port}/${postgres?.database}?table=${uniqueName('npx')}`
      const env = { VYDRA_AUTH_STORE: store }
      expect((await npx(['migrate'], env)).code).toBe(0)
      const created = await npx(
        ['keys', 'create', '--user', 'npx_user', '--name', 'from npx', '--json'],
        env,
      )
      expect(created.code, created.stderr).toBe(0)
      const { id, key } = JSON.parse(created.stdout) as { id: string; key: string }
      const listed = await npx(['keys', 'list', '--user', 'npx_user', '--json'], env)
      expect(JSON.parse(listed.stdout)).toMatchObject({ keys: [{ id, name: 'from npx' }] })
      expect(listed.stdout).not.toContain(key)

      // The application's scope registry from a config file next to it (docs/cli.md).
      writeFileSync(
        join(dir, 'vydra-auth.config.mjs'),
        "export default { scopes: ['models:read', 'jobs:read'] }\n",
      )
      const config = { ...env, VYDRA_AUTH_CONFIG: './vydra-auth.config.mjs' }
      const scoped = ['keys', 'create', '--user', 'npx_user', '--name', 'scoped', '--json']
      const refused = await npx([...scoped, '--scopes', 'billing:read'], config)
      expect(refused.code).toBe(1)
      expect(JSON.parse(refused.stderr)).toMatchObject({
        error: { code: 'VALIDATION_ERROR', issues: [{ path: ['scopes'] }] },
      })
      const allowed = await npx([...scoped, '--scopes', 'jobs:read'], config)
      expect(allowed.code, allowed.stderr).toBe(0)
    },
  )
})
