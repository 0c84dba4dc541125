/**
 * `Authorization: Bearer <token>` parsing, strict per RFC 6750 §2.1 and RFC 9110 §11.
 * @module
 */
import { MAX_TOKEN_LENGTH } from './api-key.js'
import { AuthError } from './errors.js'

// Longest field value worth looking at: the token cap plus a scheme and generous whitespace.
const MAX_HEADER_LENGTH = MAX_TOKEN_LENGTH + 64

/**
 * Extracts the token from an `Authorization` header value.
 *
 * Accepted: `Bearer` in any letter case, one or more spaces, then one token68 token; optional
 * whitespace at both ends of the field is ignored. A one-element array (a raw header list) is
 * read like its element.
 *
 * @throws {@link AuthError} `MISSING_AUTH` when the header is absent or empty;
 *   `INVALID_FORMAT` for everything else that is not exactly one Bearer token (another scheme,
 *   a bare key, HTAB after the scheme, several credentials, several header lines, a token with
 *   whitespace, quotes or control characters, or one over 512 characters).
 *
 * @example
 * ```ts
 * parseBearerHeader('Bearer vydra_live_user_abc_X7kM…') // 'vydra_live_user_abc_X7kM…'
 * parseBearerHeader('Basic dXNlcjpwYXNz')               // throws INVALID_FORMAT
 * ```
 */
export function parseBearerHeader(value: unknown): string {
  let field = value
  if (Array.isArray(field)) {
    if (field.length === 0) throw new AuthError('MISSING_AUTH')
    if (field.length > 1) throw new AuthError('INVALID_FORMAT', { reason: 'duplicate_header' })
    field = field[0]
  }
  if (field === undefined || field === null) throw new AuthError('MISSING_AUTH')
  if (typeof field !== 'string') throw new AuthError('INVALID_FORMAT', { reason: 'not_a_string' })
  if (field.length > MAX_HEADER_LENGTH) {
    throw new AuthError('INVALID_FORMAT', { reason: 'too_long' })
  }

  let start = 0
  let end = field.length
  while (start < end && isOws(field.charCodeAt(start))) start++
  while (end > start && isOws(field.charCodeAt(end - 1))) end--
  if (start === end) throw new AuthError('MISSING_AUTH')

  // Scheme: a token (RFC 9110 tchar) ending at the first SP.
  let cursor = start
  while (cursor < end && isTchar(field.charCodeAt(cursor))) cursor++
  if (cursor === end || field.charCodeAt(cursor) !== 32) {
    // One word, or a scheme glued to something else (`Bearer:…`, `Bearer\t…`): not a credential.
    throw new AuthError('INVALID_FORMAT', { reason: 'malformed_header' })
  }
  if (!isBearerScheme(field, start, cursor)) {
    throw new AuthError('INVALID_FORMAT', { reason: 'unsupported_scheme' })
  }
  while (cursor < end && field.charCodeAt(cursor) === 32) cursor++
  const tokenStart = cursor
  // token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
  while (cursor < end && isToken68Char(field.charCodeAt(cursor))) cursor++
  if (cursor === tokenStart) throw new AuthError('INVALID_FORMAT', { reason: 'malformed_header' })
  while (cursor < end && field.charCodeAt(cursor) === 61) cursor++
  if (cursor !== end || cursor - tokenStart > MAX_TOKEN_LENGTH) {
    throw new AuthError('INVALID_FORMAT', { reason: 'malformed_header' })
  }
  return field.slice(tokenStart, end)
}

function isOws(c: number): boolean {
  return c === 32 || c === 9
}

function isBearerScheme(field: string, start: number, end: number): boolean {
  if (end - start !== 6) return false
  // Compare to "bearer" with ASCII case folding (| 0x20 lower-cases A-Z only for letters).
  const expected = 'bearer'
  for (let i = 0; i < 6; i++) {
    if ((field.charCodeAt(start + i) | 0x20) !== expected.charCodeAt(i)) return false
  }
  return true
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
}

function isToken68Char(c: number): boolean {
  return isAlnum(c) || c === 45 || c === 46 || c === 95 || c === 126 || c === 43 || c === 47
}

// RFC 9110 §5.6.2 tchar
function isTchar(c: number): boolean {
  return (
    isAlnum(c) ||
    c === 33 ||
    c === 35 ||
    c === 36 ||
    c === 37 ||
    c === 38 ||
    c === 39 ||
    c === 42 ||
    c === 43 ||
    c === 45 ||
    c === 46 ||
    c === 94 ||
    c === 95 ||
    c === 96 ||
    c === 124 ||
    c === 126
  )
}
