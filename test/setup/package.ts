/**
 * vitest globalSetup: builds the package once, packs it, and installs the tarball into a
 * throwaway consumer project, for the suites in test/package (docs, consumer smoke, API report).
 * Skipped when the run's file filters select none of those suites.
 */
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { TestProject } from 'vitest/node'

/** What the package suites receive through `inject('package')`. */
export interface ProvidedPackage {
  /** The staged package: package.json, README, CHANGELOG, LICENSE and the fresh `dist`. */
  packageDir: string
  /** The `npm pack` tarball. */
  tarball: string
  /** Paths inside the tarball, as `npm pack` listed them. */
  files: string[]
  /** A project with the tarball installed under node_modules/@vydra/auth. */
  consumerDir: string
  /** `npm-offline` when npm installed it from the local cache, `extracted` when unpacked by hand. */
  installMode: 'npm-offline' | 'extracted'
}

declare module 'vitest' {
  export interface ProvidedContext {
    package: ProvidedPackage | null
  }
}

const root = resolve(import.meta.dirname, '../..')
const SUITES = [
  'test/package/docs.test.ts',
  'test/package/consumer.test.ts',
  'test/package/api-report.test.ts',
]

// vitest runs every globalSetup whatever the filters; building costs seconds, so only when needed.
// `filenamePattern` holds the run's file filters (none: every file runs).
function selected(project: TestProject): boolean {
  const filters = (project.vitest as { filenamePattern?: unknown }).filenamePattern
  if (!Array.isArray(filters) || filters.length === 0) return true
  return SUITES.some((suite) =>
    filters.some((f) => typeof f !== 'string' || suite.includes(f.replace(/^\.\//, ''))),
  )
}

const run = (command: string, args: string[], cwd: string): string =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

export default function setup(project: TestProject): () => void {
  if (!selected(project)) {
    project.provide('package', null)
    return () => {}
  }
  // Inside the repository (so peer dependencies resolve from its node_modules, as in an app that
  // installed them), but apart from `dist` so that a concurrent `npm run build` cannot interfere.
  const work = join(root, '.tmp', `package-${process.pid}`)
  const packageDir = join(work, 'package')
  const consumerDir = join(work, 'consumer')
  rmSync(work, { recursive: true, force: true })
  mkdirSync(packageDir, { recursive: true })
  mkdirSync(consumerDir, { recursive: true })

  run('npx', ['tsup', '--out-dir', join(packageDir, 'dist'), '--silent'], root)
  for (const file of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE']) {
    cpSync(join(root, file), join(packageDir, file))
  }
  const packed = JSON.parse(
    run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], packageDir),
  ) as { filename: string; files: { path: string }[] }[]
  const [info] = packed
  if (info === undefined) throw new Error('npm pack printed nothing')
  const tarball = join(work, info.filename)

  writeFileSync(
    join(consumerDir, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
  )
  let installMode: ProvidedPackage['installMode'] = 'npm-offline'
  try {
    // jose and zod come from the npm cache: no network needed once they were installed here.
    run(
      'npm',
      [
        'install',
        tarball,
        '--offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--no-package-lock',
        '--omit=peer',
        '--loglevel=error',
      ],
      consumerDir,
    )
  } catch {
    // Cold cache without network: unpack by hand; jose and zod then resolve from the repository.
    installMode = 'extracted'
    console.warn(
      '[package tests] `npm install --offline` of the tarball failed (jose/zod not in the npm ' +
        'cache?): unpacked it by hand; its dependencies now resolve from the repository.',
    )
    const target = join(consumerDir, 'node_modules', '@vydra', 'auth')
    mkdirSync(target, { recursive: true })
    run('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'], root)
  }
  const installed = JSON.parse(
    readFileSync(join(consumerDir, 'node_modules', '@vydra', 'auth', 'package.json'), 'utf8'),
  ) as { name: string }
  if (installed.name !== '@vydra/auth') throw new Error('the tarball did not install')

  project.provide('package', {
    packageDir,
    tarball,
    files: info.files.map((file) => file.path).sort(),
    consumerDir,
    installMode,
  })
  return () => {
    if (process.env.KEEP_PACKAGE_TMP !== '1') rmSync(work, { recursive: true, force: true })
  }
}
