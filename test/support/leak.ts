/** Leak scans: no haystack may hold a key, its secret, or any 8-character piece of the secret. */
import { inspect } from 'node:util'
import { expect } from 'vitest'
import { SECRET_LENGTH } from '../../src/index.js'

/** Every 8-character substring of the secret part of `key`. */
export function secretPieces(key: string): string[] {
  const secret = key.slice(-SECRET_LENGTH)
  const pieces: string[] = []
  for (let i = 0; i + 8 <= secret.length; i++) pieces.push(secret.slice(i, i + 8))
  return pieces
}

/** Renders anything (errors with causes, Maps, Dates, nested objects) as searchable text. */
export function render(value: unknown): string {
  if (typeof value === 'string') return value
  let json = ''
  try {
    json = JSON.stringify(value) ?? ''
  } catch {
    json = ''
  }
  return `${json}\n${inspect(value, { depth: 20, showHidden: true, maxArrayLength: null, maxStringLength: null })}`
}

/** Fails when `haystack` contains `key` or any 8-character substring of its secret. */
export function expectNoLeak(haystack: unknown, keys: string | readonly string[]): void {
  const text = render(haystack)
  for (const key of typeof keys === 'string' ? [keys] : keys) {
    expect(text.includes(key), 'full key leaked').toBe(false)
    const leaked = secretPieces(key).filter((piece) => text.includes(piece))
    expect(leaked, 'secret substring leaked').toEqual([])
  }
}
