/**
 * `vydra-auth --config` / `VYDRA_AUTH_CONFIG` on real SQLite, PostgreSQL and Redis: `keys create`
 * checks scopes against the application's registry and refuses exactly what the service (and so
 * the HTTP routes) refuse, with the same VALIDATION_ERROR and exit 1; the config's cap and prefix
 * apply; the pepper stays environment-only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv8/dist/2020.js'
import formats from 'ajv-formats'
import { afterAll, describe, expect, test } from 'vitest'
import {
  apiKeyRoutesOpenApi,
  createApiKeyAuth,
  isAuthError,
  MemoryKeyStore,
} from '../../src/index.js'
import { serverRuns, sharedPostgres, sharedRedis, uniqueName } from '../stores/helpers.js'
import { createLogSink } from '../support/log-sink.js'
import { cli } from './run-cli.js'

const dir = mkdtempSync(join(tmpdir(), 'vydra-cli-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const PEPPER = 'cli-test-pepper-0123456789abcdefghijklmnop'
const RULES = {
  scopes: ['models:read', 'models:write', 'jobs:*'],
  maxKeysPerUser: 2,
  prefix: 'acme',
}
const postgres = sharedPostgres()
const redis = sharedRedis()

const write = (name: string, text: string): string => {
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}
const MODULE = write('vydra-auth.config.mjs', `export default ${JSON.stringify(RULES)}\n`)

// The error body of the HTTP routes' 400, from the OpenAPI document.
const ajv = new Ajv2020({ strict: false, allErrors: true })
formats.default(ajv)
ajv.addSchema({ $id: 'https://vydra.invalid/doc', ...apiKeyRoutesOpenApi() })
const errorBody = ajv.getSchema(
  'https://vydra.invalid/doc#/paths/~1api~1v1~1api-keys/post/responses/400/content/application~1json/schema',
)

// What the service (behind the HTTP routes) answers for the same rules and input.
async function serviceIssues(scopes: string[]): Promise<unknown> {
  const auth = createApiKeyAuth({
    ...RULES,
    store: new MemoryKeyStore(),
    logger: createLogSink().logger,
  })
  const error = await auth.createKey({ userId: 'u1', name: 'x', scopes }).catch((e: unknown) => e)
  if (!isAuthError(error)) throw new Error('the service accepted it')
  return { code: error.code, issues: error.issues }
}

const backends = [
  { name: 'sqlite', runs: true, url: () => `sqlite:${join(dir, `${uniqueName('k')}.db`)}` },
  {
    name: 'postgres',
    runs: serverRuns('postgres', postgres),
    url: () =>
      `postgres://${postgres?.user}@${postgres?.host}:${postgres?.port}/${postgres?.database}?table=${uniqueName('cfg')}`,
  },
  {
    name: 'redis',
    runs: serverRuns('redis', redis),
    url: () => `redis://${redis?.host}:${redis?.port}?namespace=${uniqueName('cfg')}:`,
  },
]

for (const backend of backends) {
  describe.runIf(backend.runs)(`vydra-auth --config on ${backend.name}`, () => {
    test('scopes checked against the registry like the API (VALIDATION_ERROR, exit 1); cap and prefix from the config', async () => {
      const env = { VYDRA_AUTH_STORE: backend.url(), VYDRA_AUTH_PEPPER: PEPPER }
      expect((await cli(['migrate'], env)).code).toBe(0)
      const create = (scopes: string, extra: string[] = [], more: Record<string, string> = {}) =>
        cli(
          ['keys', 'create', '--user', 'u1', '--name', 'x', '--scopes', scopes, '--json', ...extra],
          { ...env, ...more },
        )

      // Without a config the CLI knows no registry: only the grammar is checked.
      const open = await create('billing:read')
      expect(open.code, open.stderr).toBe(0)
      expect(JSON.parse(open.stdout).key).toMatch(/^vydra_live_user_u1_/)

      for (const how of [['--config', MODULE], []] as const) {
        const byEnv: Record<string, string> = how.length === 0 ? { VYDRA_AUTH_CONFIG: MODULE } : {}
        const refused = await create('models:read,billing:read', [...how], byEnv)
        expect(refused.code).toBe(1)
        expect(refused.stdout).toBe('')
        const body = JSON.parse(refused.stderr) as { error: { code: string; issues: unknown } }
        expect(errorBody?.(body), JSON.stringify(errorBody?.errors)).toBe(true)
        expect({ code: body.error.code, issues: body.error.issues }).toEqual(
          await serviceIssues(['models:read', 'billing:read']),
        )
        expect(body.error.issues).toEqual([
          { path: ['scopes'], message: 'not in the scope registry: "billing:read"' },
        ])
      }
      const human = await cli(
        [
          'keys',
          'create',
          '--user',
          'u2',
          '--name',
          'x',
          '--scopes',
          'jobs:run',
          '--config',
          MODULE,
        ],
        env,
      )
      expect(human.code).toBe(1)
      expect(human.stderr).toContain('scopes: not in the scope registry: "jobs:run"')

      // Registered scopes pass; the key has the config's prefix; the config's cap applies.
      const made = await create('models:read jobs:*', ['--config', MODULE])
      expect(made.code, made.stderr).toBe(0)
      const created = JSON.parse(made.stdout) as { key: string; scopes: string[] }
      expect(created.key).toMatch(/^acme_live_user_u1_/)
      expect(created.scopes).toEqual(['models:read', 'jobs:*'])
      expect((await create('models:write', ['--config', MODULE])).code).toBe(0)
      const capped = await create('models:read', ['--config', MODULE])
      expect(capped.code).toBe(1)
      expect(JSON.parse(capped.stderr).error.code).toBe('KEY_LIMIT_REACHED')
      // A flag still wins over the config.
      const listed = await cli(
        ['keys', 'list', '--user', 'u1', '--json', '--config', MODULE, '--prefix', 'vydra'],
        env,
      )
      expect(listed.code).toBe(0)
      expect(JSON.parse(listed.stdout).keys.length).toBeGreaterThan(0)
    })
  })
}

describe('vydra-auth --config: what a config file may hold', () => {
  const env = { VYDRA_AUTH_STORE: `sqlite:${join(dir, 'none.db')}`, VYDRA_AUTH_PEPPER: PEPPER }
  const create = (config: string) =>
    cli(['keys', 'create', '--user', 'u1', '--name', 'x', '--json', '--config', config], env)
  const code = (stderr: string): string =>
    (JSON.parse(stderr) as { error: { code: string } }).error.code

  test('a pepper in the file is refused (exit 2): the pepper is read from VYDRA_AUTH_PEPPER only', async () => {
    const secret = 'file-pepper-0123456789abcdefghijklmnop'
    const result = await create(write('pepper.mjs', `export default { pepper: '${secret}' }\n`))
    expect(result.code).toBe(2)
    expect(code(result.stderr)).toBe('CONFIG_INVALID')
    expect(result.stderr).toContain('VYDRA_AUTH_PEPPER')
    expect(result.stderr).not.toContain(secret)
  })

  test('unknown options, a missing file, a bad export and a bad registry exit 2', async () => {
    const store = await create(write('store.mjs', 'export default { scopes: [], store: {} }\n'))
    expect([store.code, code(store.stderr)]).toEqual([2, 'CONFIG_INVALID'])
    expect(store.stderr).toContain('\\"store\\"')
    const missing = await create(join(dir, 'nope.mjs'))
    expect([missing.code, code(missing.stderr)]).toEqual([2, 'CONFIG_NOT_FOUND'])
    const notObject = await create(write('list.json', '["models:read"]'))
    expect([notObject.code, code(notObject.stderr)]).toEqual([2, 'CONFIG_INVALID'])
    const throws = await create(write('throws.mjs', "throw new Error('broken config')\n"))
    expect([throws.code, code(throws.stderr)]).toEqual([2, 'CONFIG_INVALID'])
    expect(throws.stderr).toContain('broken config')
    // The registry itself is checked by createApiKeyAuth's schema, as in the application.
    const badEnv = { ...env, VYDRA_AUTH_STORE: `sqlite:${join(dir, 'bad.db')}` }
    const config = write('bad.json', '{ "scopes": ["not a scope!"] }')
    expect((await cli(['migrate', '--config', config], badEnv)).code).toBe(0) // no service built
    const refused = await cli(
      ['keys', 'list', '--user', 'u1', '--json', '--config', config],
      badEnv,
    )
    expect([refused.code, code(refused.stderr)]).toEqual([2, 'CONFIGURATION_ERROR'])
  })

  test('a JSON config works, and pattern takes its prefix and environment', async () => {
    const file = write('rules.json', JSON.stringify({ prefix: 'acme', environment: 'test' }))
    const result = await cli(['pattern', '--json', '--config', file], {})
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout).pattern).toContain('acme_(?:test)_')
  })
})
