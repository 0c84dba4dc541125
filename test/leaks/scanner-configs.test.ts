/**
 * The scanner configurations of docs/leaked-keys.md: each is read from the page, compared with
 * secretPatternParts(), and its regular expression run in JavaScript with the scanner's own
 * anchors and capture group over generated keys and near misses. What is not executed: the
 * scanners themselves (gitleaks, trufflehog, GitLab's analyzer, GitHub's Hyperscan), whose
 * binaries are not installed here; the patterns are held to a syntax subset those engines read
 * as JavaScript does (test/property/secret-pattern.test.ts).
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generateApiKey, secretPatternParts } from '../../src/index.js'

const page = readFileSync(resolve(import.meta.dirname, '../../docs/leaked-keys.md'), 'utf8')
const parts = secretPatternParts()
const scannerRegex = `${parts.before}(${parts.secret})${parts.after}`

function blocks(language: string): string[] {
  return [...page.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map(
    (m) => m[1] ?? '',
  )
}

function only<T>(values: T[]): T {
  expect(values).toHaveLength(1)
  return values[0] as T
}

// The key a scanner reports: its capture group 1, as gitleaks' secretGroup and trufflehog take it.
function reported(regex: string, text: string): string[] {
  return [...text.matchAll(new RegExp(regex, 'g'))].map((m) => m[1] ?? '')
}

const keys = Array.from({ length: 50 }, (_, i) =>
  generateApiKey(['abc', 'org_42', 'a-b_c', 'x'.repeat(64)][i % 4] ?? 'abc'),
)

function checkRegex(regex: string): void {
  for (const key of keys) {
    expect(reported(regex, key)).toEqual([key])
    expect(reported(regex, `token="${key}"\n`)).toEqual([key])
    expect(reported(regex, `${key} and ${keys[0]}`)).toEqual([key, keys[0]])
    for (const miss of [`${key}A`, key.slice(0, -1), `x${key}`, key.replace('_live_', '_test_')]) {
      expect(reported(regex, ` ${miss} `)).toEqual([])
    }
  }
}

describe('scanner configurations in docs/leaked-keys.md', () => {
  it('GitHub custom pattern: the three fields equal secretPatternParts() (\\A, \\z for ^, $)', () => {
    const text = only(blocks('text').filter((b) => b.includes('Secret format:')))
    const field = (name: string): string =>
      new RegExp(`^${name}:\\s+(.*)$`, 'm').exec(text)?.[1]?.trim() ?? ''
    expect(field('Secret format')).toBe(parts.secret)
    const before = field('Before secret')
    const after = field('After secret')
    expect(before.replace('\\A', '^')).toBe(parts.before.slice(3, -1))
    expect(after.replace('\\z', '$')).toBe(parts.after.slice(3, -1))
    checkRegex(
      `(?:${before.replace('\\A', '^')})(${field('Secret format')})(?:${after.replace('\\z', '$')})`,
    )
  })

  it('gitleaks and GitLab: the rule regex, secretGroup 1 and a keyword every key contains', () => {
    const tomls = blocks('toml')
    expect(tomls).toHaveLength(2)
    for (const toml of tomls) {
      const regex = only([...toml.matchAll(/^regex = '''(.*)'''$/gm)].map((m) => m[1] ?? ''))
      expect(regex).toBe(scannerRegex)
      expect(toml).toMatch(/^secretGroup = 1$/m)
      const keyword = /^keywords = \["(.*)"\]$/m.exec(toml)?.[1] ?? ''
      for (const key of keys) expect(key.toLowerCase()).toContain(keyword)
      checkRegex(regex)
    }
    expect(tomls[1]).toMatch(/target = "gitleaks.toml"/)
  })

  it('trufflehog: one capture group, the key, and a keyword every key contains', () => {
    const yaml = only(blocks('yaml'))
    const regex = /^\s+key: '(.*)'$/m.exec(yaml)?.[1] ?? ''
    expect(regex).toBe(scannerRegex)
    expect(regex.match(/\((?!\?:)/g)).toHaveLength(1)
    const keyword = /keywords:\n\s+- (\S+)/.exec(yaml)?.[1] ?? ''
    for (const key of keys) expect(key).toContain(keyword)
    checkRegex(regex)
  })
})
