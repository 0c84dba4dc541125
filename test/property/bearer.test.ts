/** Property tests of `parseBearerHeader`: it only ever returns one token or throws an AuthError. */
import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { AuthError, generateApiKey, isAuthError, parseBearerHeader } from '../../src/index.js'

const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/

describe('parseBearerHeader properties', () => {
  test.prop([fc.string({ unit: 'binary', minLength: 0, maxLength: 600 })], { numRuns: 1000 })(
    'arbitrary strings: a token68 or MISSING_AUTH / INVALID_FORMAT, nothing else',
    (value) => {
      for (const input of [value, `Bearer ${value}`, `bearer  ${value}\t`]) {
        let token: string
        try {
          token = parseBearerHeader(input)
        } catch (error) {
          expect(isAuthError(error)).toBe(true)
          expect(['MISSING_AUTH', 'INVALID_FORMAT']).toContain((error as { code: string }).code)
          continue
        }
        expect(token).toMatch(TOKEN68)
        expect(token.length).toBeLessThanOrEqual(512)
        expect(input.trim().toLowerCase().startsWith('bearer ')).toBe(true)
        expect(parseBearerHeader(`Bearer ${token}`)).toBe(token)
      }
    },
  )

  test.prop([fc.uint8Array({ maxLength: 600 })], { numRuns: 300 })(
    'random bytes decoded as latin1 never escape as non-AuthErrors',
    (bytes) => {
      try {
        parseBearerHeader(Buffer.from(bytes).toString('latin1'))
      } catch (error) {
        expect(isAuthError(error)).toBe(true)
      }
    },
  )

  test.prop(
    [
      fc.stringMatching(/^[bB][eE][aA][rR][eE][rR]$/),
      fc.integer({ min: 1, max: 5 }),
      fc.stringMatching(/^[ \t]{0,3}$/),
      fc.stringMatching(/^[ \t]{0,3}$/),
    ],
    { numRuns: 200 },
  )(
    'any scheme case, 1+ spaces and OWS at both ends yield the key',
    (scheme, spaces, lead, trail) => {
      const key = generateApiKey('u_1')
      expect(parseBearerHeader(`${lead}${scheme}${' '.repeat(spaces)}${key}${trail}`)).toBe(key)
    },
  )

  test.prop([fc.constantFrom('\t', ',', ':', '=', '\u00a0', '\u000b'), fc.boolean()], {
    numRuns: 50,
  })('anything but SP between scheme and token is INVALID_FORMAT', (separator, spaceAfter) => {
    const key = generateApiKey('u')
    try {
      parseBearerHeader(`Bearer${separator}${spaceAfter ? ' ' : ''}${key}`)
      expect.unreachable('accepted')
    } catch (error) {
      expect((error as { code: string }).code).toBe('INVALID_FORMAT')
    }
  })

  // RFC 9110: the scheme is the leading run of tchar after optional whitespace. Written here as a
  // regex, independently of the parser's loop.
  const SCHEME = /^[ \t]*([!#$%&'*+\-.^_`|~0-9A-Za-z]*)/
  const CHALLENGES = new Set([
    'Bearer realm="vydra", error="invalid_request"',
    'Bearer realm="vydra", error="invalid_token"',
  ])
  const pieces = fc.constantFrom('Bearer', 'bearer', 'Basic', ' ', '\t', ',', '"', ':', '=', 'x')
  test.prop(
    [
      fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.array(pieces, { maxLength: 8 }).map((p) => p.join('')),
      ),
    ],
    { numRuns: 1000 },
  )(
    'the challenge has no error exactly when the field does not start with the Bearer scheme',
    (value) => {
      for (const input of [value, `${value} ${generateApiKey('u')}`]) {
        let error: unknown
        try {
          parseBearerHeader(input)
          continue
        } catch (caught) {
          error = caught
        }
        const { code } = error as AuthError
        if (code === 'MISSING_AUTH') {
          expect(input.trim()).toBe('')
          continue
        }
        const header = (error as AuthError).toResponse().headers['www-authenticate']
        const scheme = SCHEME.exec(input)?.[1] ?? ''
        if (scheme.toLowerCase() === 'bearer') expect(CHALLENGES).toContain(header)
        else expect(header).toBe('Bearer realm="vydra"')
      }
    },
  )
})
