/** Attack class TIM (docs/security.md): timing side channels. Latency statistics (TIM-04) are left to benchmarks. */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { generateApiKey, isAuthError } from '../../src/index.js'
import { digestsEqual } from '../../src/hash.js'
import { recordFor, setup } from '../support/setup.js'

// The comparator the core uses on digests (src/hash.ts). Since issue 15 it is plain JavaScript
// (no `node:crypto`, so the core runs on every runtime): an XOR fold over every character with no
// early exit. These tests pin that it is the one comparator, that it is exact, and that the work
// it does depends only on the length of its first argument, never on where the inputs differ.
// A string-like value that records which of its characters were read:
function counted(text: string): { value: string; read: () => number } {
  const indices = new Set<number>()
  const value = {
    length: text.length,
    charCodeAt: (i: number) => {
      indices.add(i)
      return text.charCodeAt(i)
    },
  } as unknown as string
  return { value, read: () => indices.size }
}

const SRC = join(import.meta.dirname, '../../src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

// Drops comments so that prose about `===` does not count.
const code = (path: string): string =>
  readFileSync(path, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1')

const SECRET_NAME = /digest|hash|secret|pepper/i
const COMPARISON = /([\w$#.]+|'[^']*')\s*(===|!==|==|!=)\s*([\w$#.]+|'[^']*')/g
const HARMLESS = /^(undefined|null|true|false|\d+|'[^']*')$/

/** Equality between a value named like key material and anything but a literal or typeof. */
function findSecretComparisons(text: string): string[] {
  const offences: string[] = []
  for (const match of text.matchAll(COMPARISON)) {
    const [whole, left = '', , right = ''] = match
    const isSecret = (s: string): boolean => SECRET_NAME.test(s) && !/\.length$/.test(s)
    if (!isSecret(left) && !isSecret(right)) continue
    if (
      text
        .slice(Math.max(0, match.index - 8), match.index)
        .trim()
        .endsWith('typeof')
    )
      continue
    if (HARMLESS.test(isSecret(left) ? right : left)) continue
    offences.push(whole)
  }
  for (const line of text.split('\n')) {
    if (/localeCompare/.test(line) && SECRET_NAME.test(line)) offences.push(line.trim())
  }
  return offences
}

describe('TIM: timing side channels', () => {
  it('TIM-01 the digest comparison reads every character whatever the inputs: no early exit', () => {
    const stored = 'a'.repeat(64)
    for (const presented of [
      stored, // equal
      `b${stored.slice(1)}`, // differs at the first character
      `${stored.slice(0, 63)}b`, // differs at the last
      'b'.repeat(64), // differs everywhere
      stored.slice(0, 10), // shorter
      `${stored}aa`, // longer
      '', // empty
    ]) {
      const probe = counted(stored)
      expect(digestsEqual(probe.value, presented)).toBe(presented === stored)
      // Every character of the stored digest is read, wherever (and whether) the inputs differ.
      expect(probe.read()).toBe(64)
    }
  })

  it('TIM-01 a store answering another (shorter) digest is refused, never equal', async () => {
    const { auth, spy } = setup({ cache: false })
    const key = generateApiKey('u123')
    await spy.memory.insert(recordFor(key))
    await expect(auth.verifyKey(key)).resolves.toMatchObject({ userId: 'u123' })
    const other = generateApiKey('u123')
    spy.findResult = () => recordFor(other, { hash: 'abc' })
    await expect(auth.verifyKey(other)).rejects.toMatchObject({ code: 'AUTH_UNAVAILABLE' })
  })

  test.prop([fc.string({ maxLength: 80 }), fc.string({ maxLength: 80 })], { numRuns: 500 })(
    'TIM-01 digestsEqual is exact: equal exactly when the strings are',
    (a, b) => {
      expect(digestsEqual(a, b)).toBe(a === b)
      expect(digestsEqual(a, a)).toBe(true)
    },
  )

  test.prop([fc.string({ minLength: 0, maxLength: 600, unit: 'binary' })], { numRuns: 300 })(
    'TIM-02 random inputs of length 0…600 never escape as non-AuthErrors',
    async (input) => {
      const { auth } = setup({ cache: false })
      for (const value of [input, `Bearer ${input}`]) {
        try {
          await auth.authenticate(value)
          expect.unreachable('random input authenticated')
        } catch (error) {
          expect(isAuthError(error)).toBe(true)
          expect(['MISSING_AUTH', 'INVALID_FORMAT', 'KEY_NOT_FOUND']).toContain(
            (error as { code: string }).code,
          )
        }
      }
    },
  )

  // Random strings never get past the key grammar, so they never reach the comparator. Here
  // well-formed keys do: the store answers with a record whose digest is anything (another
  // key's, truncated, longer, empty, not hex), and the comparison must still see equal lengths.
  const storedDigest = fc.oneof(
    fc.constant('own'),
    fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 0, maxLength: 80 }),
    fc.string({ unit: 'binary', maxLength: 70 }),
  )
  test.prop([storedDigest], { numRuns: 200 })(
    'TIM-02 well-formed keys against stored digests of any length: only the right digest verifies',
    async (stored) => {
      const { auth, spy } = setup({ cache: false })
      const key = generateApiKey('u123')
      spy.findResult = () => recordFor(key, stored === 'own' ? {} : { hash: stored })
      const outcome = await auth.verifyKey(key).then(
        () => 'ok',
        (error: unknown) => (isAuthError(error) ? error.code : 'not an AuthError'),
      )
      expect(outcome).toBe(
        stored === 'own' || stored === recordFor(key).hash ? 'ok' : 'AUTH_UNAVAILABLE',
      )
    },
  )

  it('TIM-03 no direct equality or localeCompare on digest, hash, secret or pepper values in src/', () => {
    const offences = sourceFiles(SRC).flatMap((file) =>
      findSecretComparisons(code(file)).map((o) => `${file}: ${o}`),
    )
    expect(offences).toEqual([])
  })

  it('TIM-03 the static scan does catch direct digest comparisons (self-test)', () => {
    expect(findSecretComparisons('if (record.hash === digest) return true')).toHaveLength(1)
    expect(findSecretComparisons('return a.secret !== presented')).toHaveLength(1)
    expect(findSecretComparisons('x = storedHash.localeCompare(digest)')).toHaveLength(1)
    expect(findSecretComparisons("if (typeof record.hash !== 'string') return")).toHaveLength(0)
    expect(findSecretComparisons('if (pepper === undefined) return')).toHaveLength(0)
  })

  it('TIM-01 every stored digest is compared with digestsEqual, whose loop has no exit', () => {
    const hash = code(join(SRC, 'hash.ts'))
    const body = /export function digestsEqual[\s\S]*?\n}/.exec(hash)?.[0] ?? ''
    expect(body).toMatch(/for \(/)
    // One return, after the loop; nothing leaves the loop early.
    expect(body.match(/\breturn\b/g)).toHaveLength(1)
    expect(body).not.toMatch(/\bbreak\b|\bwhile\b/)
    expect(code(join(SRC, 'service', 'guarded-store.ts'))).toMatch(
      /digestsEqual\(sound\.hash, digest\)/,
    )
    expect(code(join(SRC, 'service', 'guarded-digests.ts'))).toMatch(
      /digestsEqual\(sound\.hash, digest\)/,
    )
  })
})
