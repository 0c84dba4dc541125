/** Attack class TIM (docs/security.md): timing side channels. Latency statistics (TIM-04) are left to benchmarks. */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fc, test } from '@fast-check/vitest'
import { createRequire, syncBuiltinESMExports } from 'node:module'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { generateApiKey, isAuthError } from '../../src/index.js'
import { recordFor, setup } from '../support/setup.js'

// Spy on the comparator the core uses, keeping its real behaviour. Patched on the builtin itself
// (and synced into its ESM namespace), so it works whether or not src/ was imported before this
// file, as in a run without module isolation (the mutation-testing run).
const comparisons = { calls: [] as [number, number][] }
const nodeCrypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')
const realTimingSafeEqual = nodeCrypto.timingSafeEqual
beforeAll(() => {
  nodeCrypto.timingSafeEqual = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    comparisons.calls.push([a.byteLength, b.byteLength])
    return realTimingSafeEqual(a, b)
  }
  syncBuiltinESMExports()
})
afterAll(() => {
  nodeCrypto.timingSafeEqual = realTimingSafeEqual
  syncBuiltinESMExports()
})

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
  beforeEach(() => {
    comparisons.calls.length = 0
  })

  it('TIM-01 verification compares the stored digest with timingSafeEqual on equal-length buffers', async () => {
    const { auth, spy } = setup({ cache: false })
    const key = generateApiKey('u123')
    await spy.memory.insert(recordFor(key))
    await auth.verifyKey(key)
    expect(comparisons.calls.length).toBeGreaterThanOrEqual(1)
    for (const [a, b] of comparisons.calls) expect(a).toBe(b)

    // A store answering with a record of another (shorter) digest: refused, compared safely.
    comparisons.calls.length = 0
    const other = generateApiKey('u123')
    spy.findResult = () => recordFor(other, { hash: 'abc' })
    await expect(auth.verifyKey(other)).rejects.toMatchObject({ code: 'AUTH_UNAVAILABLE' })
    expect(comparisons.calls.length).toBeGreaterThanOrEqual(1)
    for (const [a, b] of comparisons.calls) expect(a).toBe(b)
  })

  test.prop([fc.string({ minLength: 0, maxLength: 600, unit: 'binary' })], { numRuns: 300 })(
    'TIM-02 random inputs of length 0…600 never escape as non-AuthErrors and never reach the comparator with unequal lengths',
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
      for (const [a, b] of comparisons.calls) expect(a).toBe(b)
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
    'TIM-02 well-formed keys against stored digests of any length reach the comparator with equal lengths only',
    async (stored) => {
      comparisons.calls.length = 0
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
      expect(comparisons.calls.length).toBeGreaterThanOrEqual(1)
      for (const [a, b] of comparisons.calls) expect(a).toBe(b)
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

  it('TIM-01 the digest comparison in src/ goes through timingSafeEqual', () => {
    const hash = code(join(SRC, 'hash.ts'))
    expect(hash).toMatch(/timingSafeEqual\(/)
    // The one place a stored digest is compared with the presented key's.
    const guard = code(join(SRC, 'service', 'guarded-store.ts'))
    expect(guard).toMatch(/digestsEqual\(sound\.hash, digest\)/)
  })
})
