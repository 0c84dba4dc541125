// What an npm tarball of @vydra/auth may and must contain. Used by `npm run release:check`
// (on `npm pack --dry-run` of the repository) and by the consumer smoke test (on a real pack).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const ALLOWED_TOP_LEVEL = new Set(['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'])
const FORBIDDEN_PATH = [
  [/\.map$/, 'a source map'],
  [
    /(^|\/)(test|tests|__tests__|spec|examples?|fixtures|bench|coverage|src|adapters)\//,
    'a source, test, example or benchmark file',
  ],
  [/\.(test|spec)\.[cm]?[jt]s$/, 'a test file'],
  [
    /(^|\/)\.env(\.|$)|\.(pem|key|p12|pfx|sqlite|db|tgz|log)$|(^|\/)\.npmrc$|id_(rsa|ed25519)/,
    'a secret or local artefact',
  ],
]
const SECRET_CONTENT = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  [/\bnpm_[A-Za-z0-9]{36}\b/, 'an npm token'],
  [/\bAKIA[0-9A-Z]{16}\b/, 'an AWS access key'],
  [/\bgh[pousr]_[A-Za-z0-9]{36,}\b/, 'a GitHub token'],
  // A complete key of our own format (32 random + 6 checksum characters) is a leaked secret.
  [
    /\b[a-z][a-z0-9]{0,31}_[a-z][a-z0-9]{0,31}_user_[A-Za-z0-9_-]{1,64}_[A-Za-z0-9]{38}\b/,
    'an API key',
  ],
]

/**
 * Problems with a tarball's file list. `files` are paths relative to the package root;
 * `readFile(path)` gives a file's text for the secret scan; `pkg` is the package.json.
 */
export function checkPackContents(files, readFile, pkg) {
  const problems = []
  const set = new Set(files)
  for (const file of files) {
    if (!file.startsWith('dist/') && !ALLOWED_TOP_LEVEL.has(file)) {
      problems.push(`${file}: not in dist/ nor one of ${[...ALLOWED_TOP_LEVEL].join(', ')}`)
    }
    for (const [pattern, what] of FORBIDDEN_PATH) {
      if (pattern.test(file)) problems.push(`${file}: ${what} must not be published`)
    }
    const text = readFile(file)
    for (const [pattern, what] of SECRET_CONTENT) {
      if (pattern.test(text)) problems.push(`${file}: contains ${what}`)
    }
  }
  for (const required of ALLOWED_TOP_LEVEL) {
    if (!set.has(required)) problems.push(`${required}: missing from the tarball`)
  }
  // Every file the exports map (and main/module/types) points at is packed.
  const targets = new Set([pkg.main, pkg.module, pkg.types].filter(Boolean))
  const walk = (value) => {
    if (typeof value === 'string') targets.add(value)
    else if (value && typeof value === 'object') Object.values(value).forEach(walk)
  }
  walk(pkg.exports)
  // The executables of `bin` (`vydra-auth`) are packed too.
  walk(pkg.bin)
  for (const target of targets) {
    const path = target.replace(/^\.\//, '')
    if (!set.has(path)) problems.push(`${path}: referenced by package.json but not packed`)
  }
  return problems
}

/** {@link checkPackContents} for files on disk under `dir`. */
export function checkPackDirectory(files, dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  return checkPackContents(files, (file) => readFileSync(join(dir, file), 'utf8'), pkg)
}
