/**
 * `Authorization: Bearer <token>` parsing, strict per RFC 6750 §2.1 and RFC 9110 §11.
 * @module
 */
import { MAX_TOKEN_LENGTH } from './api-key.js'
import { AuthError } from './errors.js'
import { isBase62Code } from './lib/base62.js'

// Longest field value worth looking at: the token cap plus a scheme and generous whitespace.
const MAX_HEADER_LENGTH = MAX_TOKEN_LENGTH + 64

/**
 * Extracts the token from an `Authorization` header value.
 *
 * Accepted: `Bearer` in any letter case, one or more spaces, then one token68 token; optional
 * whitespace at both ends of the field is ignored. A one-element array (a raw header list) is
 * read like its element.
 *
 * Every refusal but `MISSING_AUTH` is `INVALID_FORMAT`, with a `reason` that decides the
 * challenge (see {@link AuthError.reason} and docs/errors.md):
 * - `unsupported_scheme`: the field does not start with the `Bearer` scheme: another scheme
 *   (`Basic …`), or one word, which RFC 9110's grammar reads as a scheme without credentials
 *   (`Bearer123456`, a bare key). No Bearer credential was sent.
 * - `missing_token` (`Bearer` alone), `malformed_header` (HTAB or anything but SP after the
 *   scheme, extra parts, a comma-joined list, quotes or control characters),
 *   `duplicate_header` (several header lines), `not_a_string`: a Bearer attempt that is not one
 *   well-formed credential; the request needs fixing.
 * - `too_long`: a token over 512 characters, which can never be a key.
 *
 * Only the first 576 characters of a field are read: enough to see what it attempted.
 *
 * @throws {@link AuthError} `MISSING_AUTH` when the header is absent or empty;
 *   `INVALID_FORMAT` for everything else that is not exactly one Bearer token.
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

  // An over-long field is read no further than the cap: its head says what was attempted, and
  // a Bearer token that runs into the cap is too long to be a key.
  const capped = field.length > MAX_HEADER_LENGTH
  let start = 0
  let end = capped ? MAX_HEADER_LENGTH : field.length
  while (start < end && isOws(field.charCodeAt(start))) start++
  if (!capped) {
    while (end > start && isOws(field.charCodeAt(end - 1))) end--
    if (start === end) throw new AuthError('MISSING_AUTH')
  }

  // Scheme: a token (RFC 9110 tchar). A field that does not start with the Bearer scheme is no
  // Bearer credential: another scheme, or one word (`Bearer123456`, a bare key), which RFC 9110
  // reads as a scheme of its own (RFC 6750 §3.1: no error code in the challenge).
  let cursor = start
  while (cursor < end && isTchar(field.charCodeAt(cursor))) cursor++
  if (!isBearerScheme(field, start, cursor)) {
    throw new AuthError('INVALID_FORMAT', { reason: 'unsupported_scheme' })
  }
  // From here on the client attempted Bearer: what is wrong is the request or the token.
  if (cursor === end) {
    throw new AuthError('INVALID_FORMAT', { reason: capped ? 'too_long' : 'missing_token' })
  }
  if (field.charCodeAt(cursor) !== 32) {
    // `Bearer\t…`, `Bearer:…`, `Bearer,…`: the scheme glued to something else.
    throw new AuthError('INVALID_FORMAT', { reason: 'malformed_header' })
  }
  while (cursor < end && field.charCodeAt(cursor) === 32) cursor++
  const tokenStart = cursor
  // token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
  while (cursor < end && isToken68Char(field.charCodeAt(cursor))) cursor++
  // At least one token68 character before any padding: `Bearer =` holds no token.
  const hasToken = cursor > tokenStart
  while (cursor < end && field.charCodeAt(cursor) === 61) cursor++
  if (capped && cursor === end) throw new AuthError('INVALID_FORMAT', { reason: 'too_long' })
  if (!hasToken || cursor !== end) {
    // No token68 (`Bearer "…"`), or more after it: extra parts, a comma-joined list, controls.
    throw new AuthError('INVALID_FORMAT', { reason: 'malformed_header' })
  }
  if (cursor - tokenStart > MAX_TOKEN_LENGTH) {
    throw new AuthError('INVALID_FORMAT', { reason: 'too_long' })
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

function isToken68Char(c: number): boolean {
  return isBase62Code(c) || c === 45 || c === 46 || c === 95 || c === 126 || c === 43 || c === 47
}

// RFC 9110 §5.6.2 tchar
function isTchar(c: number): boolean {
  return (
    isBase62Code(c) ||
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
