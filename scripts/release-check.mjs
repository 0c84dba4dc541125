#!/usr/bin/env node
// `npm run release:check`: everything a maintainer must see green before `npm publish`.
// Runs every step (skipping only those that need a build when the build failed) and prints a
// summary; exits non-zero if any step failed. See docs/releasing.md.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { root } from './entries.mjs'
import { checkPackDirectory } from './pack-check.mjs'

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx'

/** Runs a command in the repository, streaming its output; true when it exits 0. */
function sh(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' })
  return result.status === 0
}

function packContents() {
  const result = spawnSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  if (result.status !== 0) return false
  const [info] = JSON.parse(result.stdout)
  const files = info.files.map((file) => file.path).sort()
  const problems = checkPackDirectory(files, root)
  console.log(`${info.filename}: ${files.length} files, ${info.size} bytes packed`)
  for (const file of files) console.log(`  ${file}`)
  for (const problem of problems) console.error(`  ✗ ${problem}`)
  return problems.length === 0
}

function changelogHasVersion() {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const changelog = readFileSync(join(root, 'CHANGELOG.md'), 'utf8')
  const ok = new RegExp(`^## \\[${version.replaceAll('.', '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm')
  if (!ok.test(changelog)) {
    console.error(`CHANGELOG.md has no "## [${version}] - YYYY-MM-DD" section`)
    return false
  }
  console.log(`CHANGELOG.md has a ${version} section`)
  return true
}

const steps = [
  { name: 'build', run: () => sh(npm, ['run', 'build']) },
  { name: 'typecheck', run: () => sh(npm, ['run', 'typecheck']) },
  { name: 'lint', run: () => sh(npm, ['run', 'lint']) },
  { name: 'test', run: () => sh(npm, ['test']) },
  { name: 'publint', needsBuild: true, run: () => sh(npx, ['publint', '--strict']) },
  {
    name: 'attw --pack',
    needsBuild: true,
    run: () => sh(npm, ['run', 'attw']),
  },
  { name: 'typedoc (warnings are errors)', run: () => sh(npm, ['run', 'docs']) },
  {
    name: 'public-API report',
    needsBuild: true,
    run: () => sh(process.execPath, [join(root, 'scripts', 'api-report.mjs')]),
  },
  { name: 'npm pack contents', needsBuild: true, run: packContents },
  { name: 'CHANGELOG entry', run: changelogHasVersion },
]

// `npm run release:check -- --mutation`: also mutation-test the core modules changed since the
// last release tag (`test:mutation:changed`, incremental: minutes, not the hour of a full run).
// `--mutation=full` runs the whole core incrementally instead. See docs/testing.md.
const mutation = process.argv.find((arg) => arg === '--mutation' || arg === '--mutation=full')
if (mutation === '--mutation') {
  steps.push({
    name: 'mutation testing (core modules changed since the last release)',
    run: () => sh(npm, ['run', 'test:mutation:changed']),
  })
} else if (mutation === '--mutation=full') {
  steps.push({
    name: 'mutation testing (whole core, incremental)',
    run: () => sh(npm, ['run', 'test:mutation', '--', '--incremental']),
  })
}

const results = []
let built = true
for (const step of steps) {
  if (step.needsBuild && !built) {
    results.push({ name: step.name, status: 'skipped (no build)' })
    continue
  }
  console.log(`\n━━ ${step.name} ━━`)
  const ok = step.run()
  if (step.name === 'build') built = ok
  results.push({ name: step.name, status: ok ? 'ok' : 'FAILED' })
}

console.log('\n━━ release:check ━━')
for (const { name, status } of results)
  console.log(`${status === 'ok' ? '✓' : '✗'} ${name}: ${status}`)
const failed = results.filter((r) => r.status !== 'ok')
if (failed.length > 0) {
  console.error(`\n${failed.length} step(s) did not pass: do not publish.`)
  process.exit(1)
}
console.log('\nAll checks passed: ready for `npm publish --provenance` (docs/releasing.md).')
