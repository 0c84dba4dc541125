/**
 * secretPattern: matches every generated key, and no near miss. The near misses are built from
 * real keys by one structural change each; the oracle is the key grammar itself (parseApiKey
 * with the checksum recomputed), independent of the pattern's text.
 */
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { generateApiKey, isAuthError, secretPattern, secretPatternParts } from '../../src/index.js'

const userIdArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/)
const nameArb = fc.stringMatching(/^[a-z][a-z0-9]{0,31}$/)
const KEY_CHARS = /[A-Za-z0-9_-]/
// Text around a key: anything, but the character touching the key is not a key character.
const sideArb = fc
  .string({ maxLength: 20 })
  .filter((s) => s.length === 0 || !KEY_CHARS.test(s.slice(-1)))
const afterArb = fc
  .string({ maxLength: 20 })
  .filter((s) => s.length === 0 || !KEY_CHARS.test(s.charAt(0)))

function matches(pattern: RegExp, text: string): string[] {
  return [...text.matchAll(new RegExp(pattern.source, 'g'))].map((m) => m[0])
}

describe('secretPattern', () => {
  test.prop([userIdArb, nameArb, nameArb, sideArb, afterArb], { numRuns: 400 })(
    'finds every generated key, whole, in any surrounding text',
    (userId, prefix, environment, before, after) => {
      const key = generateApiKey(userId, { prefix, environment })
      const pattern = secretPattern({ prefix, environment })
      expect(matches(pattern, `${before}${key}${after}`)).toEqual([key])
    },
  )

  test.prop(
    [
      userIdArb,
      fc.constantFrom(
        'longer-secret',
        'shorter-secret',
        'bad-char-in-secret',
        'glued-before',
        'glued-after',
        'other-prefix',
        'other-environment',
        'other-owner-kind',
        'upper-case-head',
      ),
      fc.integer({ min: 0, max: 37 }),
    ],
    { numRuns: 600 },
  )('matches no near miss', (userId, change, position) => {
    const key = generateApiKey(userId)
    const secretAt = key.length - 38
    const nearMiss = {
      'longer-secret': `${key}A`,
      'shorter-secret': key.slice(0, -1),
      'bad-char-in-secret': `${key.slice(0, secretAt + position)}-${key.slice(secretAt + position + 1)}`,
      'glued-before': `x${key}`,
      'glued-after': `${key}_`,
      'other-prefix': `vydrb${key.slice(5)}`,
      'other-environment': key.replace('_live_', '_test_'),
      'other-owner-kind': key.replace('_user_', '_org_'),
      'upper-case-head': `V${key.slice(1)}`,
    }[change]
    expect(matches(secretPattern(), ` ${nearMiss} `)).toEqual([])
  })

  it('matches only the owner kinds and environments it is given', () => {
    const key = generateApiKey('abc')
    const org = key.replace('_user_', '_org_')
    const test = key.replace('_live_', '_test_')
    const both = secretPattern({
      environments: ['live', 'test'],
      ownerKinds: ['user', 'org', 'svc'],
    })
    expect(both.test(org)).toBe(true)
    expect(both.test(test)).toBe(true)
    expect(secretPattern().test(org)).toBe(false)
  })

  it('secretPattern(auth.options) reads prefix and environment from an instance', () => {
    const key = generateApiKey('abc', { prefix: 'acme', environment: 'test' })
    expect(secretPattern({ prefix: 'acme', environment: 'test' }).test(key)).toBe(true)
    expect(secretPattern().test(key)).toBe(false)
  })

  it('the parts carry no lookaround or backreference (RE2 and Hyperscan read them as JS does)', () => {
    const { before, secret, after } = secretPatternParts({ environments: ['live', 'test'] })
    for (const part of [before, secret, after]) expect(part).not.toMatch(/\(\?[=!<]|\\\d|\\[bB]/)
    expect(secret).toBe('vydra_(?:live|test)_(?:user)_[A-Za-z0-9_-]{1,64}_[A-Za-z0-9]{38}')
  })

  it.each([
    [{ prefix: 'Bad' }],
    [{ environment: '' }],
    [{ environments: [] }],
    [{ environments: ['live', 'a|b'] }],
    [{ ownerKinds: ['user', '.*'] }],
    [{ ownerKinds: 'user' }],
  ])('refuses options keys cannot have: %j', (options) => {
    let error: unknown
    try {
      secretPattern(options as never)
    } catch (e) {
      error = e
    }
    expect(isAuthError(error) && error.code).toBe('CONFIGURATION_ERROR')
  })
})

describe('secretPattern(auth.options)', () => {
  it('covers every owner kind the instance issues', async () => {
    const { createApiKeyAuth, MemoryKeyStore } = await import('../../src/index.js')
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      ownerTypes: ['user', 'org', 'svc'],
      logger: false,
    })
    const pattern = secretPattern(auth.options)
    const user = await auth.createKey({ userId: 'u1', name: 'k' })
    const org = await auth.createKey({ ownerType: 'org', ownerId: 'acme', name: 'k' })
    const svc = await auth.createKey({ ownerType: 'svc', ownerId: 'ci', name: 'k' })
    for (const { key } of [user, org, svc]) expect(pattern.test(key)).toBe(true)
    expect(secretPattern({ environment: 'live' }).test(org.key)).toBe(false)
  })
})
