/**
 * vitest globalSetup: builds the package once, packs it, and installs the tarball into a
 * throwaway consumer project, for the suites in test/package (docs, consumer smoke, API report).
 * For the docs and quick-start suites it also installs clean consumers outside the repository:
 * one per package set that an install line of README.md or docs/ names.
 * Skipped when the run's file filters select none of those suites.
 */
import { type ChildProcess, execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { TestProject } from 'vitest/node'
import { type CleanConsumer, INSTALL_RESULT, type InstallResult } from '../package/consumers.js'
import {
  baselinePackages,
  guideFiles,
  extractSnippets,
  packageSetKey,
  readmeQuickStarts,
  snippetPackageSets,
} from '../package/snippets.js'
import { installTarball, packPackage } from './pack-package.js'

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
  /**
   * Clean consumers in the OS temp directory (outside the repository, so nothing resolves from
   * its node_modules): for each package set (key: {@link packageSetKey}), a project that gets
   * only the tarball and those packages. They are installed while the other suites run: wait
   * for one with `consumerReady` (test/package/consumers.ts). Empty when no suite needing them
   * was selected.
   */
  consumers: Record<string, CleanConsumer>
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
  'test/package/quick-starts.test.ts',
  'test/package/cli.test.ts',
]
/** Suites that use the clean consumers. */
const CLEAN_SUITES = ['test/package/docs.test.ts', 'test/package/quick-starts.test.ts']

// vitest runs every globalSetup whatever the filters; building costs seconds, so only when needed.
// `filenamePattern` holds the run's file filters (none: every file runs).
function selected(project: TestProject, suites: string[]): boolean {
  const filters = (project.vitest as { filenamePattern?: unknown }).filenamePattern
  if (!Array.isArray(filters) || filters.length === 0) return true
  return suites.some((suite) =>
    filters.some((f) => typeof f !== 'string' || suite.includes(f.replace(/^\.\//, ''))),
  )
}

/** Every package set the clean-consumer suites need. */
function packageSets(): string[][] {
  const sets = [
    baselinePackages(),
    ...guideFiles().flatMap(extractSnippets).flatMap(snippetPackageSets),
    ...readmeQuickStarts().map((quickStart) => quickStart.packages),
  ]
  return [...new Map(sets.map((set) => [packageSetKey(set), set])).values()]
}

/**
 * Starts `npm install`ing the tarball plus each set into its own project under `work`, a few at
 * a time (they share npm's cache; packages come from the registry, or the cache when it has
 * them). Each project gets an {@link INSTALL_RESULT} file when its install ends.
 */
function installConsumers(
  work: string,
  tarball: string,
  sets: string[][],
): { consumers: Record<string, CleanConsumer>; done: Promise<void>; stop: () => void } {
  const consumers: Record<string, CleanConsumer> = {}
  const queue = sets.map((packages, index) => ({ packages, dir: join(work, `c${index}`) }))
  for (const { packages, dir } of queue) consumers[packageSetKey(packages)] = { packages, dir }
  const children = new Set<ChildProcess>()
  let stopped = false
  const worker = async (): Promise<void> => {
    for (let job = queue.shift(); job !== undefined && !stopped; job = queue.shift()) {
      const { packages, dir } = job
      mkdirSync(dir, { recursive: true })
      writeFileSync(
        join(dir, 'package.json'),
        JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
      )
      const started = Date.now()
      const args = [
        'install',
        tarball,
        ...packages,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        // Nothing installed needs a build step to load or type-check (better-sqlite3 is only
        // type-checked here, never opened).
        '--ignore-scripts',
        '--no-package-lock',
        '--loglevel=error',
      ]
      const error = await new Promise<string | undefined>((done) => {
        const child = execFile(
          'npm',
          args,
          { cwd: dir, encoding: 'utf8' },
          (failure, _, stderr) => {
            children.delete(child)
            done(
              failure === null ? undefined : `npm ${args.join(' ')}\n${stderr || failure.message}`,
            )
          },
        )
        children.add(child)
      })
      const result: InstallResult = { seconds: (Date.now() - started) / 1000, error }
      if (stopped) return
      // Written whole, then renamed: a waiting suite never reads half a file.
      writeFileSync(join(dir, `${INSTALL_RESULT}.tmp`), JSON.stringify(result))
      renameSync(join(dir, `${INSTALL_RESULT}.tmp`), join(dir, INSTALL_RESULT))
    }
  }
  const done = Promise.all([worker(), worker(), worker()]).then(() => undefined)
  const stop = (): void => {
    stopped = true
    for (const child of children) child.kill()
  }
  return { consumers, done, stop }
}

export default async function setup(project: TestProject): Promise<() => void> {
  if (!selected(project, SUITES)) {
    project.provide('package', null)
    return () => {}
  }
  // Inside the repository (so peer dependencies resolve from its node_modules, as in an app that
  // installed them), but apart from `dist` so that a concurrent `npm run build` cannot interfere.
  const work = join(root, '.tmp', `package-${process.pid}`)
  const consumerDir = join(work, 'consumer')
  rmSync(work, { recursive: true, force: true })
  const { packageDir, tarball, files } = packPackage(work)
  const installMode = installTarball(tarball, consumerDir)

  let consumers: Record<string, CleanConsumer> = {}
  let clean: string | undefined
  let stop = (): void => {}
  if (selected(project, CLEAN_SUITES)) {
    clean = mkdtempSync(join(tmpdir(), 'vydra-consumers-'))
    const started = Date.now()
    const installs = installConsumers(clean, tarball, packageSets())
    consumers = installs.consumers
    stop = installs.stop
    void installs.done.then(() =>
      console.log(
        `[package tests] ${Object.keys(consumers).length} clean consumers installed in ` +
          `${((Date.now() - started) / 1000).toFixed(1)} s`,
      ),
    )
  }

  project.provide('package', {
    packageDir,
    tarball,
    files,
    consumerDir,
    installMode,
    consumers,
  })
  return () => {
    stop()
    if (process.env.KEEP_PACKAGE_TMP === '1') return
    rmSync(work, { recursive: true, force: true })
    if (clean !== undefined) rmSync(clean, { recursive: true, force: true })
  }
}
