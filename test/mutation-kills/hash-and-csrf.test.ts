/**
 * Hashing and CSRF details written against surviving mutants (docs/testing.md, mutation
 * testing): the message of an empty pepper, and an unreadable own origin that trusts nothing.
 */
import { describe, expect, it } from 'vitest'
import { checkCsrf, hashApiKey } from '../../src/index.js'
import { createKeyHasher } from '../../src/hash.js'

const codeOf = (fn: () => void): string => {
  try {
    fn()
    return 'ok'
  } catch (error) {
    return (error as { code: string }).code
  }
}

describe('hashing: an empty pepper', () => {
  it('is refused with a message that says so, as a string and as bytes', () => {
    for (const call of [
      () => hashApiKey('k', ''),
      () => hashApiKey('k', new Uint8Array(0)),
      () => createKeyHasher(''),
      () => createKeyHasher(new Uint8Array(0)),
    ]) {
      expect(call).toThrow(
        expect.objectContaining({
          code: 'CONFIGURATION_ERROR',
          message: 'The pepper must not be empty',
        }),
      )
    }
  })
})

describe('CSRF: an own origin that cannot be read', () => {
  it('trusts no origin at all, whatever the Origin header says', () => {
    // Hosts that make no URL, or `:authority` and `Host` that disagree: the allowed list is
    // empty. "Stryker was here" is the element StrykerJS puts into a mutated empty array.
    const hosts: Record<string, string>[] = [
      { host: 'a b' },
      { host: 'exa mple:80' },
      { ':authority': 'a.example', host: 'b.example' },
    ]
    for (const headers of hosts) {
      for (const origin of ['Stryker was here', 'http://a b', 'http://a.example', '']) {
        expect([
          headers,
          origin,
          codeOf(() => checkCsrf({ headers: { ...headers, origin } }, undefined)),
        ]).toEqual([headers, origin, 'CSRF_REJECTED'])
      }
    }
  })
})
