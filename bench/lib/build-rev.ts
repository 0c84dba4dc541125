/**
 * Builds the package at a git revision, or the working tree as it is, with that tree's own
 * `tsup.config.ts` (JavaScript only: `dts: false`, nothing else overridden), so that a section
 * can load an earlier build beside the current one in the same process.
 *
 * A revision is exported with `git archive <rev> | tar -x` into
 * `node_modules/.cache/vydra-baseline/<full sha>/tree/`, given this checkout's `node_modules` through
 * a symlink, and built there once: the finished `dist/` is kept and reused by later runs (a
 * commit never changes). A build that fails or stops half-way leaves no `dist/`, so the next run
 * starts over. Nothing here depends on a prebuilt `dist/` of the checkout (a clean clone works);
 * it needs `git` and the revision's history (a shallow clone without it fails, loudly).
 */
import { spawnSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { removeOnExit } from './cleanup.js'

/** A build of one tree: where its root entry (`dist/index.js`) is. */
export interface RevBuild {
  /** `working tree` or the short sha. */
  readonly label: string
  /** Absolute path of the ESM root entry. */
  readonly entry: string
  /** Whether it came from the cache of an earlier run. */
  readonly cached: boolean
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (result.error !== undefined || result.status !== 0) {
    const why = result.error?.message ?? (result.stderr || result.stdout).trim()
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed: ${why}`)
  }
  return result.stdout
}

// tsup's JavaScript API with the tree's config file: `build(overrides)` loads tsup.config.ts from
// the process's cwd and lays the overrides over every build the file defines.
function tsup(tree: string, outDir: string): void {
  const script =
    `import { build } from 'tsup'\n` +
    `await build({ dts: false, silent: true, outDir: ${JSON.stringify(outDir)} })\n`
  run(process.execPath, ['--input-type=module', '-e', script], tree)
  const entry = join(outDir, 'index.js')
  if (!existsSync(entry)) throw new Error(`tsup in ${tree} made no ${entry}`)
}

/** The top of the git checkout that holds `dir` (a bundled section runs from node_modules/.cache). */
export function repositoryRoot(dir: string): string {
  return run('git', ['rev-parse', '--show-toplevel'], dir).trim()
}

/** Builds the working tree at `root` (uncommitted changes included) into a temporary folder. */
export function buildWorkingTree(root: string): RevBuild {
  const home = removeOnExit(mkdtempSync(join(tmpdir(), 'vydra-current-')))
  // The build imports its dependencies by name: they resolve through this link.
  symlinkSync(join(root, 'node_modules'), join(home, 'node_modules'), 'dir')
  const outDir = join(home, 'dist')
  tsup(root, outDir)
  return { label: 'working tree', entry: join(outDir, 'index.js'), cached: false }
}

/**
 * A second copy of a build, loaded as modules of their own: measured beside the original it shows
 * what the bench reads between two identical builds (an A/A control).
 */
export function copyBuild(build: RevBuild): RevBuild {
  const home = removeOnExit(mkdtempSync(join(tmpdir(), 'vydra-control-')))
  symlinkSync(
    join(dirname(dirname(build.entry)), 'node_modules'),
    join(home, 'node_modules'),
    'dir',
  )
  cpSync(dirname(build.entry), join(home, 'dist'), { recursive: true })
  return { label: `${build.label} (copy)`, entry: join(home, 'dist', 'index.js'), cached: false }
}

/** Builds `rev` of the repository at `root` (cached by full sha). */
export function buildRevision(root: string, rev: string): RevBuild {
  const sha = run('git', ['rev-parse', '--verify', `${rev}^{commit}`], root).trim()
  const cacheDir = join(root, 'node_modules', '.cache', 'vydra-baseline')
  const home = join(cacheDir, sha)
  const tree = join(home, 'tree')
  const dist = join(tree, 'dist')
  const entry = join(dist, 'index.js')
  const label = sha.slice(0, 7)
  if (existsSync(entry)) return { label, entry, cached: true }
  rmSync(home, { recursive: true, force: true })
  mkdirSync(home, { recursive: true })
  mkdirSync(tree)
  // git archive | tar -x without a shell: the archive goes through a file in the cache folder.
  const archive = join(home, 'tree.tar')
  run('git', ['archive', '--format=tar', `--output=${archive}`, sha], root)
  run('tar', ['-xf', archive, '-C', tree], root)
  rmSync(archive)
  symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'), 'dir')
  // Built beside, renamed into place last: `dist/index.js` exists only for a finished build.
  const partial = join(tree, 'dist.partial')
  tsup(tree, partial)
  renameSync(partial, dist)
  return { label, entry, cached: false }
}
