/** `parseBearerHeader`: the header grammar and the decisions in docs/errors.md (which challenge, case by case). */
import { describe, expect, it } from 'vitest'
import { AuthError, parseBearerHeader } from '../src/index.js'

// A literal key (computed with zlib's CRC-32, see test/api-key.test.ts): no library code runs
// while the file loads, which keeps mutation testing's per-test coverage exact.
const K = 'vydra_live_user_u123_0123456789ABCDEFGHIJKLMNOPQRSTUV4Dam3h'

function code(value: unknown): string {
  try {
    parseBearerHeader(value)
    return 'ok'
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError)
    return (error as AuthError).code
  }
}

function reason(value: unknown): string | undefined {
  try {
    parseBearerHeader(value)
  } catch (error) {
    return (error as AuthError).reason
  }
  return undefined
}

describe('parseBearerHeader', () => {
  it('accepts Bearer in any case, one or more SP, OWS trimmed at both ends', () => {
    for (const header of [
      `Bearer ${K}`,
      `bearer ${K}`,
      `BEARER ${K}`,
      `bEaReR ${K}`,
      `Bearer  ${K}`,
      `Bearer     ${K}`,
      `Bearer ${K} `,
      `  Bearer ${K}`,
      `Bearer ${K}\t`,
      `\tBearer ${K}\t `,
      [`Bearer ${K}`],
    ]) {
      expect(parseBearerHeader(header), JSON.stringify(header)).toBe(K)
    }
  })

  it('absent, empty or blank is MISSING_AUTH', () => {
    for (const header of [undefined, null, '', ' ', '    ', '\t', ' \t ', []]) {
      expect(code(header), JSON.stringify(header)).toBe('MISSING_AUTH')
    }
  })

  it('HTAB after the scheme, a missing token or glued separators are INVALID_FORMAT', () => {
    for (const header of [
      `Bearer\t${K}`,
      'Bearer',
      'Bearer ',
      `Bearer:${K}`,
      `Bearer=${K}`,
      `Bearer${K}`,
      `Bearer,${K}`,
      `Bearer \t${K}`,
    ]) {
      expect(code(header), JSON.stringify(header)).toBe('INVALID_FORMAT')
    }
  })

  it('several credentials or words, quotes and control characters are INVALID_FORMAT', () => {
    for (const header of [
      `Bearer ${K} extra`,
      `Bearer ${K} ${K}`,
      `Bearer ${K}, Bearer ${K}`,
      `Bearer ${K},Basic abc`,
      `Bearer "${K}"`,
      `Bearer ${K}\u0000`,
      `Bearer ${K}\r\nX-Injected: 1`,
      `Bearer ${K.slice(0, 20)}\u0000${K.slice(20)}`,
      `Bearer ${K.slice(0, 20)} ${K.slice(20)}`,
      `Bearer ${K}\u00a0`,
      `Bearer \u2028${K}`,
    ]) {
      expect(code(header), JSON.stringify(header)).toBe('INVALID_FORMAT')
    }
  })

  it('token68 padding and dots pass the header grammar (the key grammar rejects them later)', () => {
    for (const suffix of ['=', '==', '.']) {
      expect(parseBearerHeader(`Bearer ${K}${suffix}`)).toBe(`${K}${suffix}`)
    }
    expect(code(`Bearer ${K}=x`)).toBe('INVALID_FORMAT')
  })

  it('another scheme is INVALID_FORMAT marked unsupported_scheme; a bare key is INVALID_FORMAT', () => {
    for (const header of [
      'Basic dXNlcjpwYXNz',
      'Digest username="a"',
      `Token ${K}`,
      `ApiKey ${K}`,
      `Bearerx ${K}`,
    ]) {
      expect(code(header)).toBe('INVALID_FORMAT')
      expect(reason(header)).toBe('unsupported_scheme')
    }
    expect(code(K)).toBe('INVALID_FORMAT')
  })

  it('the reason says what was attempted: no Bearer credential, a malformed request, or a bad token', () => {
    const table: [unknown, string][] = [
      // One word is, by RFC 9110's grammar, a scheme of its own: no Bearer credential.
      [K, 'unsupported_scheme'],
      ['Bearer123456', 'unsupported_scheme'],
      [`Bearer${K}`, 'unsupported_scheme'],
      ['Basic', 'unsupported_scheme'],
      [`Bearerx ${K}`, 'unsupported_scheme'],
      [`Basic\tdXNlcjpwYXNz`, 'unsupported_scheme'],
      [`Basic dXNlcjpwYXNz, Bearer ${K}`, 'unsupported_scheme'],
      [`"${K}"`, 'unsupported_scheme'],
      [`Basic ${'A'.repeat(10_000)}`, 'unsupported_scheme'],
      ['A'.repeat(10_000), 'unsupported_scheme'],
      // Bearer attempted, the request is not one well-formed credential.
      ['Bearer', 'missing_token'],
      ['Bearer   ', 'missing_token'],
      ['bearer \t', 'missing_token'],
      [`Bearer\t${K}`, 'malformed_header'],
      [`Bearer:${K}`, 'malformed_header'],
      [`Bearer=${K}`, 'malformed_header'],
      [`Bearer,${K}`, 'malformed_header'],
      [`Bearer \t${K}`, 'malformed_header'],
      [`Bearer ${K} extra`, 'malformed_header'],
      [`Bearer ${K}, Bearer ${K}`, 'malformed_header'],
      [`Bearer ${K},`, 'malformed_header'],
      [`Bearer "${K}"`, 'malformed_header'],
      [`Bearer ${K}\u0000`, 'malformed_header'],
      [`Bearer ${K} ${'A'.repeat(10_000)}`, 'malformed_header'],
      [[`Bearer ${K}`, `Bearer ${K}`], 'duplicate_header'],
      [42, 'not_a_string'],
      // Bearer and one token68 that can never be a key.
      [`Bearer ${'A'.repeat(513)}`, 'too_long'],
      [`Bearer ${'A'.repeat(10_240)}`, 'too_long'],
      [`${' '.repeat(570)}Bearer ${K}`, 'too_long'],
    ]
    for (const [header, expected] of table) {
      const label = JSON.stringify(header).slice(0, 60)
      expect([label, code(header), reason(header)]).toEqual([label, 'INVALID_FORMAT', expected])
    }
  })

  it('several header lines, non-strings and oversized values are INVALID_FORMAT', () => {
    expect(code([`Bearer ${K}`, `Bearer ${K}`])).toBe('INVALID_FORMAT')
    expect(reason([`Bearer ${K}`, `Bearer ${K}`])).toBe('duplicate_header')
    for (const value of [42, {}, true, [42], [[`Bearer ${K}`]], Symbol('x'), () => K]) {
      expect(code(value), String(typeof value)).toBe('INVALID_FORMAT')
    }
    expect(code(`Bearer ${'A'.repeat(10_240)}`)).toBe('INVALID_FORMAT')
    expect(code(`Bearer ${'A'.repeat(513)}`)).toBe('INVALID_FORMAT')
    expect(parseBearerHeader(`Bearer ${'A'.repeat(512)}`)).toHaveLength(512)
    expect(code(`Bearer ${'A'.repeat(1_000_000)}`)).toBe('INVALID_FORMAT')
  })
})

describe('parseBearerHeader: reasons and character classes', () => {
  it('every refusal carries its fixed reason', () => {
    const cases: [unknown, string][] = [
      [42, 'not_a_string'],
      [{}, 'not_a_string'],
      [`Bearer ${'A'.repeat(600)}`, 'too_long'],
      [`Bearer ${'A'.repeat(513)}`, 'too_long'],
      ['Bearer', 'missing_token'],
      // One word, or a scheme glued to something: no Bearer credential (issue 18).
      ['Basic', 'unsupported_scheme'],
      ['Basic ', 'unsupported_scheme'],
      ['Basic:abc', 'unsupported_scheme'],
      [`Bearer\t${K}`, 'malformed_header'],
      ['Bearer =', 'malformed_header'],
      ['Bearer "x"', 'malformed_header'],
      [`Bearer ${K} x`, 'malformed_header'],
      [`Basic ${K}`, 'unsupported_scheme'],
      [[`Bearer ${K}`, `Bearer ${K}`], 'duplicate_header'],
    ]
    for (const [value, expected] of cases) {
      expect([JSON.stringify(value)?.slice(0, 30), code(value), reason(value)]).toEqual([
        JSON.stringify(value)?.slice(0, 30),
        'INVALID_FORMAT',
        expected,
      ])
    }
  })

  it('the field may be 576 characters (the token cap plus room for OWS); one more is refused', () => {
    const padded = (length: number): string => `Bearer ${K}`.padEnd(length, ' ')
    expect(parseBearerHeader(padded(576))).toBe(K)
    // Only the first 576 characters are read (issue 18): what follows the key there is not OWS
    // to the end of the field, so the header is malformed.
    expect([code(padded(577)), reason(padded(577))]).toEqual(['INVALID_FORMAT', 'malformed_header'])
  })

  it('a token may use every token68 character; an empty token is refused', () => {
    expect(parseBearerHeader('Bearer a-b.c_d~e+f/g==')).toBe('a-b.c_d~e+f/g==')
    for (const c of ['-', '.', '_', '~', '+', '/']) {
      expect(parseBearerHeader(`Bearer x${c}y`), c).toBe(`x${c}y`)
    }
    expect(code('Bearer =')).toBe('INVALID_FORMAT')
    expect(code('Bearer ==')).toBe('INVALID_FORMAT')
  })

  it('a scheme made of any token characters (RFC 9110 tchar) is another scheme, not a malformed header', () => {
    for (const c of "!#$%&'*+-.^_`|~") {
      const header = `X${c}Y ${K}`
      expect([header, reason(header)]).toEqual([header, 'unsupported_scheme'])
    }
    // A character that is not a tchar ends the scheme: still not the Bearer scheme (issue 18),
    // so no Bearer credential was sent.
    for (const c of ['"', '(', ',', '/', ':', ';', '=', '@', '[', '{']) {
      const header = `X${c}Y ${K}`
      expect([header, reason(header)]).toEqual([header, 'unsupported_scheme'])
    }
    // The Bearer scheme glued to a non-tchar is a malformed Bearer attempt.
    for (const c of ['"', '(', ',', ':', ';', '=', '@', '[', '{']) {
      const header = `Bearer${c}${K}`
      expect([header, reason(header)]).toEqual([header, 'malformed_header'])
    }
  })
})
