#!/usr/bin/env node
// `npm run test:mutation:changed`: mutation-tests only the core modules that changed since a git
// ref (default: the latest `v*` tag, else where this branch left `main`), incrementally. A full
// run takes about an hour on 2 cores; one or two changed modules take minutes. Arguments after
// `--` other than `--since <ref>` go to StrykerJS (e.g. `--concurrency 1`). See docs/testing.md.
import { spawnSync } from 'node:child_process'
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { root } from './entries.mjs'

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx'

function git(args) {
  const result = spawnSync('git', args, { cwd: root, encoding: 'utf8' })
  return result.status === 0 ? result.stdout.trim() : undefined
}

/** `*` within a path segment, `**` across segments: all the mutate list uses. */
export function globToRegExp(glob) {
  let source = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]
    if (c === '*' && glob[i + 1] === '*') {
      source += '.*'
      i++
    } else if (c === '*') source += '[^/]*'
    else source += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${source}$`)
}

/** The files among `changed` that the mutate globs select (negated globs remove). */
export function selectMutated(changed, mutate) {
  const include = mutate.filter((g) => !g.startsWith('!')).map(globToRegExp)
  const exclude = mutate.filter((g) => g.startsWith('!')).map((g) => globToRegExp(g.slice(1)))
  return changed.filter((f) => include.some((r) => r.test(f)) && !exclude.some((r) => r.test(f)))
}

function baseRef(args) {
  const i = args.indexOf('--since')
  if (i >= 0) {
    const ref = args[i + 1]
    args.splice(i, 2)
    return ref
  }
  return (
    git(['describe', '--tags', '--abbrev=0', '--match', 'v*']) ??
    git(['merge-base', 'HEAD', 'main'])
  )
}

async function main() {
  const args = process.argv.slice(2)
  const since = baseRef(args)
  if (since === undefined || since === '') {
    console.error('mutation (changed): no base ref: pass --since <ref>')
    return 2
  }
  // Committed and uncommitted changes since the ref, and new files.
  const changed = [
    ...(git(['diff', '--name-only', since, '--']) ?? '').split('\n'),
    ...(git(['ls-files', '--others', '--exclude-standard']) ?? '').split('\n'),
  ].filter((f) => f !== '')
  const { default: config } = await import(pathToFileURL(join(root, 'stryker.config.mjs')).href)
  const files = selectMutated([...new Set(changed)], config.mutate)
  if (files.length === 0) {
    console.log(`mutation (changed since ${since}): no core module changed, nothing to test`)
    return 0
  }
  console.log(`mutation (changed since ${since}): ${files.join(', ')}`)
  const result = spawnSync(
    npx,
    [
      'stryker',
      'run',
      '--mutate',
      files.join(','),
      '--incremental',
      // Its own cache: a narrowed run must not replace the full run's.
      '--incrementalFile',
      'reports/mutation/stryker-incremental-changed.json',
      ...args,
    ],
    { cwd: root, stdio: 'inherit' },
  )
  return result.status ?? 1
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main()
}
