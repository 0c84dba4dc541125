/** Attack class GEN (docs/security.md): predictable, biased or colliding keys. */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  CHECKSUM_LENGTH,
  generateApiKey,
  parseApiKey,
  SECRET_LENGTH,
  SECRET_RANDOM_LENGTH,
} from '../../src/index.js'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const SRC = join(import.meta.dirname, '../../src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

describe('GEN: key generation', () => {
  it('GEN-01 100 000 keys are unique, match the grammar and have a fixed secret length', () => {
    const grammar = new RegExp(`^vydra_live_user_u123_[0-9A-Za-z]{${SECRET_LENGTH}}$`)
    const seen = new Set<string>()
    let bad = 0
    for (let i = 0; i < 100_000; i++) {
      const key = generateApiKey('u123')
      if (!grammar.test(key)) bad++
      seen.add(key.slice(-SECRET_LENGTH))
    }
    expect(bad).toBe(0)
    expect(seen.size).toBe(100_000)
    // A sample parses back (grammar + checksum), the rest share its shape by the regex above.
    const sample = generateApiKey('u123')
    expect(parseApiKey(sample).secret).toHaveLength(SECRET_LENGTH)
  })

  it('GEN-02 random characters are uniform over base62 (chi-square over 10^6 characters)', () => {
    const counts = new Map<string, number>(Array.from(ALPHABET, (c) => [c, 0]))
    const keys = Math.ceil(1_000_000 / SECRET_RANDOM_LENGTH)
    let total = 0
    for (let i = 0; i < keys; i++) {
      const random = generateApiKey('u').slice(-SECRET_LENGTH, -CHECKSUM_LENGTH)
      for (const c of random) counts.set(c, (counts.get(c) ?? 0) + 1)
      total += random.length
    }
    expect(counts.size).toBe(62)
    const expected = total / 62
    let chi = 0
    for (const n of counts.values()) chi += (n - expected) ** 2 / expected
    // 61 degrees of freedom: mean 61, sd ≈ 11. 140 is beyond p = 1e-9; `byte % 62` bias gives > 2000.
    expect(chi).toBeLessThan(140)
    expect(chi).toBeGreaterThan(15)
  })

  it('GEN-02 bytes that would bias the alphabet (248…255) are rejected, not folded with % 62', () => {
    const biased = (n: number): Uint8Array => new Uint8Array(n).fill(250)
    let calls = 0
    const source = (n: number): Uint8Array => {
      calls++
      return calls === 1 ? biased(n) : new Uint8Array(n).fill(61)
    }
    const key = generateApiKey({ userId: 'u', randomBytes: source })
    // 250 % 62 = 2 would have produced '2'; every character came from the second draw instead.
    expect(key.slice(-SECRET_LENGTH, -CHECKSUM_LENGTH)).toBe('z'.repeat(SECRET_RANDOM_LENGTH))
    expect(calls).toBeGreaterThan(1)
  })

  it('GEN-02 src/ uses no Math.random and draws key material from the OS CSPRNG', () => {
    for (const file of sourceFiles(SRC)) {
      expect(readFileSync(file, 'utf8'), file).not.toMatch(/Math\.random/)
    }
    const keyCode = readFileSync(join(SRC, 'api-key.ts'), 'utf8')
    expect(keyCode).toMatch(/randomFillSync|getRandomValues|randomBytes\(/)
  })

  it('GEN-03 the random part carries at least 180 bits (≥ 128 required)', () => {
    const bits = SECRET_RANDOM_LENGTH * Math.log2(62)
    expect(bits).toBeGreaterThanOrEqual(180)
    expect(generateApiKey('u').slice(-SECRET_LENGTH, -CHECKSUM_LENGTH)).toHaveLength(
      SECRET_RANDOM_LENGTH,
    )
  })
})
