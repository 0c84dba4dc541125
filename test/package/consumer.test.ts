/**
 * Consumer smoke test: the packed tarball, installed into a fresh project, loads through
 * `import` at every entry point and `require` at every entry point that offers it, type-checks
 * under `node16` and `bundler`, and runs on every Node.js version `engines` admits.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import semver from 'semver'
import { describe, expect, inject, it } from 'vitest'
import { checkPackContents } from '../../scripts/pack-check.mjs'
import { packageEntries } from '../../scripts/entries.mjs'
import { typeCheck } from './type-check.js'

const pkg = inject('package')
const entries = packageEntries()
const node = (cwd: string, file: string): string =>
  execFileSync(process.execPath, [file], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })

describe('packed tarball', () => {
  it('contains dist, README, CHANGELOG and LICENSE, every exports target, and nothing else', () => {
    if (pkg === null) throw new Error('globalSetup test/support/global-package.ts did not run')
    const problems = checkPackContents(
      pkg.files,
      (file) =>
        execFileSync('tar', ['-xzOf', pkg.tarball, `package/${file}`], { encoding: 'utf8' }),
      JSON.parse(
        execFileSync('tar', ['-xzOf', pkg.tarball, 'package/package.json'], { encoding: 'utf8' }),
      ),
    )
    expect(problems).toEqual([])
    expect(pkg.files).toContain('dist/index.js')
  })

  it('has a CommonJS build exactly for the entry points that offer `require`', () => {
    if (pkg === null) throw new Error('globalSetup test/support/global-package.ts did not run')
    // Only the conformance kit is ESM-only: it imports vitest, which cannot be required.
    expect(entries.filter((entry) => !entry.cjs).map((entry) => entry.name)).toEqual(['testing'])
    for (const entry of entries) {
      for (const file of [`dist/${entry.name}.cjs`, `dist/${entry.name}.d.cts`]) {
        expect(pkg.files.includes(file), file).toBe(entry.cjs)
      }
    }
  })
})

describe('consumer project', () => {
  it('imports (ESM) and requires (CJS) every entry point, with the same exports', () => {
    if (pkg === null) throw new Error('globalSetup test/support/global-package.ts did not run')
    const dir = join(pkg.consumerDir, 'load')
    mkdirSync(dir, { recursive: true })
    const specifiers = JSON.stringify(entries.map((entry) => entry.specifier))
    writeFileSync(
      join(dir, 'esm.mjs'),
      `const out = {}\nfor (const s of ${specifiers}) out[s] = Object.keys(await import(s)).filter((k) => k !== 'default').sort()\nconsole.log(JSON.stringify(out))\n`,
    )
    writeFileSync(
      join(dir, 'cjs.cjs'),
      `const out = {}\nfor (const s of ${specifiers}) {\n  try { out[s] = Object.keys(require(s)).sort() } catch (e) { out[s] = { code: e.code, error: String(e.message) } }\n}\nconsole.log(JSON.stringify(out))\n`,
    )
    const esm = JSON.parse(node(dir, 'esm.mjs')) as Record<string, string[]>
    const cjs = JSON.parse(node(dir, 'cjs.cjs')) as Record<
      string,
      string[] | { code: string; error: string }
    >
    for (const entry of entries) {
      expect(esm[entry.specifier], entry.specifier).not.toHaveLength(0)
      if (!entry.cjs) {
        // ESM-only (the conformance kit imports vitest, which refuses require()): not offered to
        // require at all, rather than offered and failing inside vitest.
        expect(cjs[entry.specifier]).toMatchObject({ code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' })
      } else {
        expect(cjs[entry.specifier], entry.specifier).toEqual(esm[entry.specifier])
      }
    }
    expect(esm['@vydra/auth']).toEqual(
      expect.arrayContaining(['createApiKeyAuth', 'MemoryKeyStore', 'AuthError', 'isAuthError']),
    )
  })

  it('works end to end from the tarball: issue a key, authenticate it, reject a bad one', () => {
    if (pkg === null) throw new Error('globalSetup test/support/global-package.ts did not run')
    const dir = join(pkg.consumerDir, 'run')
    mkdirSync(dir, { recursive: true })
    const body = (load: string): string => `${load}
const auth = createApiKeyAuth({ store: new MemoryKeyStore(), logger: false })
const main = async () => {
  const { key } = await auth.createKey({ userId: 'abc', name: 'CI', scopes: ['models:read'] })
  const principal = await auth.authenticate('Bearer ' + key, { scopes: ['models:read'] })
  const denied = await auth.authenticate('Bearer ' + key, { scopes: ['models:write'] }).catch((e) => e)
  console.log(JSON.stringify([principal.userId, isAuthError(denied) && denied.code, denied.status]))
}
main()
`
    writeFileSync(
      join(dir, 'esm.mjs'),
      body(`import { createApiKeyAuth, MemoryKeyStore, isAuthError } from '@vydra/auth'`),
    )
    writeFileSync(
      join(dir, 'cjs.cjs'),
      body(`const { createApiKeyAuth, MemoryKeyStore, isAuthError } = require('@vydra/auth')`),
    )
    const expected = ['abc', 'INSUFFICIENT_SCOPE', 403]
    expect(JSON.parse(node(dir, 'esm.mjs'))).toEqual(expected)
    expect(JSON.parse(node(dir, 'cjs.cjs'))).toEqual(expected)
  })

  it.each(['node16', 'bundler'] as const)(
    'type-checks a consumer under moduleResolution %s',
    (resolution) => {
      if (pkg === null) throw new Error('globalSetup test/support/global-package.ts did not run')
      const files: Record<string, string> = {
        'consumer.ts': consumerSource(entries.map((entry) => entry.specifier)),
      }
      // Under node16 a .cts file resolves the `require` conditions and their .d.cts types.
      if (resolution === 'node16') files['consumer-cjs.cts'] = CJS_CONSUMER
      // The package's own .d.ts are checked once, under node16.
      const errors = typeCheck(pkg.consumerDir, `types-${resolution}`, files, resolution, {
        checkDeclarations: resolution === 'node16',
      })
      expect(errors).toBe('')
    },
    // tsc over every entry's declarations: well past the default on a shared, busy machine.
    120_000,
  )
})

describe('engines', () => {
  /**
   * The CommonJS build `require`s jose, which is ESM-only, so it needs `require(esm)` without a
   * flag: Node.js 20.19+, 22.12+ and 23+ (https://nodejs.org/api/modules.html#loading-ecmascript-modules-using-require).
   */
  const REQUIRE_ESM = '^20.19.0 || >=22.12.0'
  const engines = (
    JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
      engines: { node: string }
    }
  ).engines.node

  it('the CommonJS build needs require(esm): without it, require() fails on an ESM dependency', () => {
    if (pkg === null) throw new Error('globalSetup test/support/global-package.ts did not run')
    const dir = join(pkg.consumerDir, 'engines')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'load.cjs'), `require('@vydra/auth')\nconsole.log('loaded')\n`)
    // This Node.js has require(esm); the flag turns it off, as on Node.js 20.0–20.18 and 22.0–22.11.
    expect(process.features.require_module).toBe(true)
    expect(semver.satisfies(process.version, REQUIRE_ESM)).toBe(true)
    expect(node(dir, 'load.cjs').trim()).toBe('loaded')
    const without = spawnSync(process.execPath, ['--no-experimental-require-module', 'load.cjs'], {
      cwd: dir,
      encoding: 'utf8',
    })
    expect(without.status).not.toBe(0)
    expect(without.stderr).toContain('ERR_REQUIRE_ESM')
  })

  it.each([
    '18.20.8',
    '20.0.0',
    '20.18.3',
    '20.19.0',
    '20.20.2',
    '21.7.3',
    '22.0.0',
    '22.11.0',
    '22.12.0',
    '23.0.0',
    '24.0.0',
    '26.0.0',
  ])('engines admits Node.js %s exactly when it has require(esm) unflagged', (version) => {
    expect(semver.satisfies(version, engines)).toBe(semver.satisfies(version, REQUIRE_ESM))
  })
})

function consumerSource(specifiers: string[]): string {
  const namespaces = specifiers
    .map((s, i) => `import * as entry${i} from '${s}'\nvoid entry${i}`)
    .join('\n')
  return `${namespaces}
import {
  createApiKeyAuth,
  MemoryKeyStore,
  isAuthError,
  type ApiKeyPrincipal,
  type AuthErrorCode,
  type KeyStore,
} from '@vydra/auth'

const store: KeyStore = new MemoryKeyStore()
const auth = createApiKeyAuth({ store, scopes: ['models:read'] })
export async function check(header: string | undefined): Promise<ApiKeyPrincipal | AuthErrorCode> {
  try {
    return await auth.authenticate(header, { scopes: ['models:read'] })
  } catch (error) {
    if (isAuthError(error)) return error.code
    throw error
  }
}
`
}

const CJS_CONSUMER = `import auth = require('@vydra/auth')
const service = auth.createApiKeyAuth({ store: new auth.MemoryKeyStore() })
export const principal: Promise<auth.ApiKeyPrincipal> = service.verifyKey('x')
`
