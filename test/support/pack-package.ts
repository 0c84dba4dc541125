/**
 * The package as a user gets it: built, packed with `npm pack`, and installed from the tarball
 * into a throwaway project. Shared by the global setups of the package suites
 * (test/support/global-package.ts) and of the runtime suite (test/support/global-runtime-package.ts).
 */
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '../..')

const run = (command: string, args: string[], cwd: string): string =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

/** A packed build of the repository. */
export interface PackedPackage {
  /** The staged package: package.json, README, CHANGELOG, LICENSE and the fresh `dist`. */
  packageDir: string
  /** The `npm pack` tarball. */
  tarball: string
  /** Paths inside the tarball, as `npm pack` listed them. */
  files: string[]
}

/** Builds `dist` into `work/package` (apart from the repository's own `dist`) and packs it. */
export function packPackage(work: string): PackedPackage {
  const packageDir = join(work, 'package')
  mkdirSync(packageDir, { recursive: true })
  run('npx', ['tsup', '--out-dir', join(packageDir, 'dist'), '--silent'], root)
  for (const file of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE']) {
    cpSync(join(root, file), join(packageDir, file))
  }
  const packed = JSON.parse(
    run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], packageDir),
  ) as { filename: string; files: { path: string }[] }[]
  const [info] = packed
  if (info === undefined) throw new Error('npm pack printed nothing')
  return {
    packageDir,
    tarball: join(work, info.filename),
    files: info.files.map((file) => file.path).sort(),
  }
}

/**
 * Installs `tarball` into a new project at `consumerDir` (`npm install <tarball>`, its own
 * dependencies jose and zod from the npm cache, no peers). `npm-offline` when npm installed it,
 * `extracted` when it had to be unpacked by hand (cold cache, no network); jose and zod then
 * resolve from the repository, which is why `consumerDir` should sit inside it.
 */
export function installTarball(tarball: string, consumerDir: string): 'npm-offline' | 'extracted' {
  mkdirSync(consumerDir, { recursive: true })
  writeFileSync(
    join(consumerDir, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
  )
  let installMode: 'npm-offline' | 'extracted' = 'npm-offline'
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
  return installMode
}
