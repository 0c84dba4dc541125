/**
 * `vydra-auth` on real PostgreSQL, Redis and SQLite: every command, its human and `--json`
 * output (the JSON checked against the OpenAPI schemas of the same objects), exit codes, and no
 * secret in any output but the one-time key.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv8/dist/2020.js'
import formats from 'ajv-formats'
import { afterAll, describe, expect, test } from 'vitest'
import {
  apiKeyRoutesOpenApi,
  createApiKeyAuth,
  hashApiKey,
  MemoryKeyStore,
} from '../../src/index.js'
import { PostgresKeyStore } from '../../adapters/stores/postgres/index.js'
import { RedisKeyStore } from '../../adapters/stores/redis/index.js'
import { SqliteKeyStore } from '../../adapters/stores/sqlite/index.js'
import { serverRuns, sharedPostgres, sharedRedis, uniqueName } from '../stores/helpers.js'
import { createLogSink } from '../support/log-sink.js'
import { cli, type CliResult } from './run-cli.js'

const { logger } = createLogSink()

const dir = mkdtempSync(join(tmpdir(), 'vydra-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const PEPPER = 'cli-test-pepper-0123456789abcdefghijklmnop'
const postgres = sharedPostgres()
const redis = sharedRedis()

const ajv = new Ajv2020({ strict: false, allErrors: true })
formats.default(ajv)
ajv.addSchema({ $id: 'https://vydra.invalid/doc', ...apiKeyRoutesOpenApi() })
const schemaOf = (name: string) => {
  const validate = ajv.getSchema(`https://vydra.invalid/doc#/components/schemas/${name}`)
  if (validate === undefined) throw new Error(`no schema ${name}`)
  return (value: unknown): string | null =>
    validate(value) ? null : ajv.errorsText(validate.errors)
}

// Whether a store implements the lifecycle operations of the port (roll, setDisabled).
const hasLifecycle = (proto: object): boolean => 'roll' in proto && 'setDisabled' in proto
const backends = [
  {
    name: 'sqlite',
    runs: true,
    url: () => `sqlite:${join(dir, `${uniqueName('k')}.db`)}`,
    lifecycle: () => hasLifecycle(SqliteKeyStore.prototype),
  },
  {
    name: 'postgres',
    runs: serverRuns('postgres', postgres),
    url: () =>
      `postgres://${postgres?.user}@${postgres?.host}:${postgres?.port}/${postgres?.database}?table=${uniqueName('cli')}`,
    lifecycle: () => hasLifecycle(PostgresKeyStore.prototype),
  },
  {
    name: 'redis',
    runs: serverRuns('redis', redis),
    url: () => `redis://${redis?.host}:${redis?.port}?namespace=${uniqueName('cli')}:`,
    lifecycle: () => hasLifecycle(RedisKeyStore.prototype),
  },
]

const json = <T = Record<string, unknown>>(result: CliResult): T => JSON.parse(result.stdout) as T

for (const backend of backends) {
  describe.runIf(backend.runs)(`vydra-auth on ${backend.name}`, () => {
    test('migrate, create, list, show, revoke, doctor: human and --json output, exit codes, no secret leaked', async () => {
      const store = backend.url()
      const env = { VYDRA_AUTH_STORE: store, VYDRA_AUTH_PEPPER: PEPPER }
      const outputs: CliResult[] = []
      const run = async (
        args: string[],
        extra: Record<string, string> = {},
      ): Promise<CliResult> => {
        const result = await cli(args, { ...env, ...extra })
        outputs.push(result)
        return result
      }

      const migrated = await run(['migrate', '--json'])
      expect(migrated.code, migrated.stderr).toBe(0)
      expect(json(migrated)).toMatchObject({ ok: true, store: backend.name })
      expect((await run(['migrate'])).code).toBe(0) // twice is fine

      const created = await run([
        'keys',
        'create',
        '--user',
        'u1',
        '--name',
        'CI deploys',
        '--scopes',
        'models:read,jobs:read',
        '--expires-in-days',
        '30',
        '--json',
      ])
      expect(created.code, created.stderr).toBe(0)
      const body = json<{ id: string; key: string; message: string }>(created)
      expect(schemaOf('CreatedApiKey')(body)).toBeNull()
      expect(body.message).toBe('Store this key securely. It will not be shown again.')

      const human = await run(['keys', 'create', '--user', 'u1', '--name', 'second'])
      expect(human.code).toBe(0)
      expect(human.stdout).toMatch(/^ {2}vydra_live_user_u1_[A-Za-z0-9]+$/m)
      expect(human.stdout).toContain('Store this key securely. It will not be shown again.')
      const secondKey = /^ {2}(vydra_live_\S+)$/m.exec(human.stdout)?.[1] ?? ''

      // The key works for an application with the same store and pepper, and not without it.
      const verified = await verifyWith(backend.name, store, body.key)
      expect(verified).toBe('u1')

      const listed = await run(['keys', 'list', '--user', 'u1', '--json'])
      expect(listed.code).toBe(0)
      expect(schemaOf('ApiKeyList')(json(listed))).toBeNull()
      expect(json<{ keys: { id: string }[] }>(listed).keys.map((k) => k.id)).toContain(body.id)
      const table = await run(['keys', 'list', '--user', 'u1'])
      expect(table.stdout.split('\n')[0]).toMatch(
        /^ID +NAME +PREFIX +SCOPES +CREATED +LAST USED +EXPIRES +STATUS$/,
      )
      expect(table.stdout).toMatch(new RegExp(`${body.id} +CI deploys .* active`))
      expect(table.stdout).not.toContain('\u001b[') // not a terminal: no colours

      const shown = await run(['keys', 'show', body.id, '--user', 'u1', '--json'])
      expect(shown.code).toBe(0)
      expect(schemaOf('ApiKey')(json(shown))).toBeNull()
      expect((await run(['keys', 'show', body.id, '--user', 'someone-else'])).code).toBe(1)

      const revoked = await run(['keys', 'revoke', body.id, '--user', 'u1', '--json'])
      expect(revoked.code).toBe(0)
      expect(schemaOf('RevokedApiKey')(json(revoked))).toBeNull()
      const after = await run(['keys', 'show', body.id, '--user', 'u1'])
      expect(after.stdout).toMatch(/revoked$/m)
      const again = await run([
        'keys',
        'revoke',
        '00000000-0000-4000-8000-000000000000',
        '--user',
        'u1',
        '--json',
      ])
      expect(again.code).toBe(1)
      expect(JSON.parse(again.stderr)).toEqual({
        error: { code: 'KEY_NOT_FOUND', message: expect.any(String) },
      })

      // Roll, disable, enable: done where the store supports them, else exit 1 NOT_SUPPORTED.
      const third = json<{ id: string; key: string }>(
        await run(['keys', 'create', '--user', 'u1', '--name', 'third', '--json']),
      )
      const lifecycle = backend.lifecycle()
      const rolled = await run([
        'keys',
        'roll',
        third.id,
        '--user',
        'u1',
        '--grace-seconds',
        '60',
        '--json',
      ])
      const disabled = await run(['keys', 'disable', third.id, '--user', 'u1', '--json'])
      const enabled = await run(['keys', 'enable', third.id, '--user', 'u1', '--json'])
      if (lifecycle) {
        expect(rolled.code, rolled.stderr).toBe(0)
        const body = json<{ key: string; previous: { id: string; expiresAt: string } }>(rolled)
        expect(body.previous.id).toBe(third.id)
        expect(body.key).toMatch(/^vydra_live_user_u1_/)
        expect(json<{ id: string }>(disabled).id).toBe(third.id)
        expect(enabled.code).toBe(0)
      } else {
        for (const result of [rolled, disabled, enabled]) {
          expect(result.code).toBe(1)
          expect(JSON.parse(result.stderr)).toMatchObject({ error: { code: 'NOT_SUPPORTED' } })
        }
      }
      const rolledKey = rolled.code === 0 ? json<{ key: string }>(rolled).key : undefined

      // The audit log (issue 14): kept in the change's transaction on PostgreSQL and SQLite,
      // with the CLI as the actor; Redis keeps none here (exit 1 NOT_SUPPORTED).
      const events = await run(['keys', 'events', third.id, '--user', 'u1', '--json'])
      if (backend.name === 'redis') {
        expect(events.code).toBe(1)
        expect(JSON.parse(events.stderr)).toMatchObject({ error: { code: 'NOT_SUPPORTED' } })
      } else {
        expect(events.code, events.stderr).toBe(0)
        expect(schemaOf('ApiKeyEventList')(json(events))).toBeNull()
        const listed = json<{ events: { action: string; actor: unknown }[] }>(events).events
        expect(listed.map((e) => e.action)).toEqual(['enabled', 'disabled', 'rolled', 'created'])
        expect(listed[0]?.actor).toEqual({ type: 'system', id: 'vydra-auth' })
        const human = await run(['keys', 'events', third.id, '--user', 'u1'])
        expect(human.stdout).toMatch(/ enabled +system:vydra-auth$/m)
        expect((await run(['keys', 'events', third.id, '--user', 'nobody'])).code).toBe(1)
      }

      const invalid = await run([
        'keys',
        'create',
        '--user',
        'u1',
        '--name',
        'x',
        '--scopes',
        'models::read',
      ])
      expect(invalid.code).toBe(1)
      expect(invalid.stderr).toMatch(/Request validation failed: scopes\.0: not a valid scope/)

      const doctor = await run(['doctor', '--json'])
      expect(doctor.code, doctor.stdout).toBe(0)
      const report = json<{ ok: boolean; checks: { name: string; ok: boolean }[] }>(doctor)
      expect(report.checks.map((c) => [c.name, c.ok])).toEqual([
        ['connect', true],
        ['schema', true],
        ['lookup', true],
        ['listener', true],
        ['pepper', true],
      ])
      expect((await run(['doctor'])).stdout).toMatch(/^ok +connect /m)

      // Only the two create outputs hold a key; no output holds a digest or the pepper.
      const digests = [body.key, secondKey].map((key) => hashApiKey(key, PEPPER))
      for (const output of outputs) {
        const text = output.stdout + output.stderr
        for (const digest of digests) expect(text).not.toContain(digest)
        expect(text).not.toContain(PEPPER)
        if (output !== created) expect(text).not.toContain(body.key)
        if (output !== human) expect(text).not.toContain(secondKey)
        if (output !== rolled && rolledKey !== undefined) expect(text).not.toContain(rolledKey)
      }
    })
  })
}

// Opens the same store as an application would and verifies `key` there.
async function verifyWith(kind: string, url: string, key: string): Promise<string> {
  if (kind !== 'sqlite') {
    // The CLI's own opener, as the application would configure the store.
    const { openStore } = await import('../../adapters/cli/open-store.js')
    const opened = await openStore(url, { timeoutMs: 5_000, create: false })
    try {
      return (
        await createApiKeyAuth({
          store: opened.store,
          pepper: PEPPER,
          touchIntervalMs: 86_400_000,
          logger,
        }).verifyKey(key)
      ).userId
    } finally {
      await opened.close()
    }
  }
  const store = new SqliteKeyStore(url.slice('sqlite:'.length).split('?')[0] ?? '')
  try {
    await expect(
      createApiKeyAuth({ store, pepper: null, logger }).verifyKey(key),
    ).rejects.toMatchObject({
      code: 'KEY_NOT_FOUND',
    })
    return (await createApiKeyAuth({ store, pepper: PEPPER, logger }).verifyKey(key)).userId
  } finally {
    store.close()
  }
}

describe.runIf(serverRuns('postgres', postgres))(
  'vydra-auth doctor and migrate on a 0.1 table',
  () => {
    test('doctor names the old schema version and the fix (exit 1); migrate brings it to the current one', async () => {
      const table = uniqueName('old')
      const base = `postgres://${postgres?.user}@${postgres?.host}:${postgres?.port}/${postgres?.database}`
      const { default: pg } = await import('pg')
      const pool = new pg.Pool({ connectionString: base })
      try {
        // The table exactly as 0.1 created it, with no version recorded.
        await pool.query(`CREATE TABLE ${table} (
        id uuid PRIMARY KEY, user_id text NOT NULL, name text NOT NULL, key_prefix text NOT NULL,
        scopes text[] NOT NULL, hash text NOT NULL, created_at timestamptz NOT NULL,
        expires_at timestamptz, last_used_at timestamptz, revoked_at timestamptz)`)
      } finally {
        await pool.end()
      }
      const store = `${base}?table=${table}`
      const before = await cli(['doctor', '--store', store, '--json'])
      expect(before.code).toBe(1)
      const schema = json<{
        checks: { name: string; ok: boolean; detail: string; fix?: string }[]
      }>(before).checks.find((c) => c.name === 'schema')
      expect(schema).toMatchObject({
        ok: false,
        detail: 'schema version 1; this release needs 3',
        fix: 'Run vydra-auth migrate with the same --store.',
      })
      expect((await cli(['migrate', '--store', store])).code).toBe(0)
      const after = await cli(['doctor', '--store', store])
      expect(after.code, after.stdout).toBe(0)
      expect(after.stdout).toMatch(/^ok +schema +schema version 3;/m)
    })
  },
)

describe('vydra-auth without a store', () => {
  test('pattern prints the secret-scanning regex of the prefix and environment, without a store', async () => {
    const result = await cli(['pattern', '--environment', 'test', '--json'])
    expect(result.code).toBe(0)
    const { pattern, secret } = JSON.parse(result.stdout) as { pattern: string; secret: string }
    const key = (
      await createApiKeyAuth({
        store: new MemoryKeyStore(),
        environment: 'test',
        logger,
      }).createKey({ userId: 'p1', name: 'n' })
    ).key
    expect(new RegExp(pattern).exec(`token=${key};`)?.[0]).toBe(key)
    expect(new RegExp(secret).test(key)).toBe(true)
    expect(new RegExp(pattern).test(key.replace('_test_', '_live_'))).toBe(false)
    expect((await cli(['pattern'])).stdout.split('\n')[0]).toBe(
      JSON.parse((await cli(['pattern', '--json'])).stdout).pattern,
    )
  })

  test('usage errors exit 2 and say what to do', async () => {
    expect((await cli(['--help'])).code).toBe(0)
    expect((await cli(['--help'])).stdout).toContain(
      'Exit codes: 0 ok, 1 not found or invalid input, 2 usage, 3 store unavailable.',
    )
    expect((await cli([])).code).toBe(2)
    expect((await cli(['keys', 'list', '--user', 'u'])).stderr).toContain(
      'No store: pass --store <url> or set VYDRA_AUTH_STORE',
    )
    const pepper = await cli(['keys', 'list', '--pepper', 'abc'])
    expect(pepper.code).toBe(2)
    expect(pepper.stderr).toContain('set VYDRA_AUTH_PEPPER')
    expect(pepper.stderr).not.toContain('abc')
    expect((await cli(['frobnicate', '--store', 'sqlite::memory:'])).code).toBe(2)
    expect((await cli(['pattern', 'extra'])).stderr).toContain('pattern takes no argument')
    expect((await cli(['keys', 'list', '--nope'])).code).toBe(2)
    expect((await cli(['keys', 'list', '--store', 'mysql://x'])).code).toBe(2)
    expect((await cli(['keys', 'list', '--store', 'sqlite::memory:'])).stderr).toContain(
      'needs --user',
    )
    expect((await cli(['keys', 'show', '--user', 'u', '--store', 'sqlite::memory:'])).code).toBe(2)
    expect(
      (
        await cli([
          'keys',
          'create',
          '--user',
          'u',
          '--store',
          'sqlite::memory:',
          '--expires-in-days',
          'soon',
        ])
      ).code,
    ).toBe(2)
  })

  test('errors as JSON with --json; colours only on a terminal without NO_COLOR', async () => {
    const failed = await cli(['keys', 'list', '--user', 'u', '--store', 'mysql://x', '--json'])
    expect(JSON.parse(failed.stderr)).toMatchObject({ error: { code: 'BAD_STORE_URL' } })
    const store = `sqlite:${join(dir, 'colours.db')}`
    await cli(['migrate', '--store', store])
    await cli(['keys', 'create', '--user', 'u', '--name', 'n', '--store', store])
    expect(
      (await cli(['keys', 'list', '--user', 'u', '--store', store], {}, true)).stdout,
    ).toContain('\u001b[32mactive')
    expect(
      (await cli(['keys', 'list', '--user', 'u', '--store', store], { NO_COLOR: '1' }, true))
        .stdout,
    ).not.toContain('\u001b[')
  })

  test('a SQLite file that does not exist is not created except by migrate (exit 3)', async () => {
    const missing = await cli([
      'keys',
      'list',
      '--user',
      'u',
      '--store',
      `sqlite:${join(dir, 'nope.db')}`,
    ])
    expect(missing.code).toBe(3)
    expect(missing.stderr).toContain('vydra-auth migrate')
  })

  test('a weak pepper is refused by doctor (exit 1), with the fix', async () => {
    const store = `sqlite:${join(dir, 'pepper.db')}`
    await cli(['migrate', '--store', store])
    const result = await cli(['doctor', '--store', store], { VYDRA_AUTH_PEPPER: 'short' })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/^FAIL pepper/m)
    expect(result.stdout).not.toContain('short')
    expect(createApiKeyAuth({ store: new MemoryKeyStore() })).toBeDefined()
  })
})
