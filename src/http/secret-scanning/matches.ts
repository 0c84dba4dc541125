/**
 * The body of a secret-scanning report: a JSON array of `{ token, type, url, source }`.
 * @module
 */
import { AuthError } from '../../errors.js'

/** One reported match. */
export interface SecretMatch {
  token: string
  type: string
  url: string | undefined
  source: string | undefined
}

const MAX_TOKEN_CHARS = 1_024
const MAX_FIELD_CHARS = 2_048

/**
 * Parses a verified body. 400 `INVALID_JSON` for bytes that are not UTF-8 JSON, 400
 * `VALIDATION_ERROR` for JSON that is not an array of matches, 413 `PAYLOAD_TOO_LARGE` for more
 * than `maxMatches` entries (bounded work: nothing is looked up before the count is known).
 */
export function readMatches(body: Uint8Array, maxMatches: number): SecretMatch[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch {
    throw new AuthError('INVALID_JSON')
  }
  if (!Array.isArray(parsed)) throw invalid([], 'Expected a JSON array of matches')
  if (parsed.length > maxMatches) throw new AuthError('PAYLOAD_TOO_LARGE')
  return parsed.map((entry: unknown, index) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw invalid([index], 'Expected an object')
    }
    const { token, type, url, source } = entry as Record<string, unknown>
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_CHARS) {
      throw invalid([index, 'token'], `Expected a string of 1 to ${MAX_TOKEN_CHARS} characters`)
    }
    if (typeof type !== 'string' || type.length > MAX_FIELD_CHARS) {
      throw invalid([index, 'type'], 'Expected a string')
    }
    return {
      token,
      type,
      url: optional(url, [index, 'url']),
      source: optional(source, [index, 'source']),
    }
  })
}

function optional(value: unknown, path: (string | number)[]): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string' || value.length > MAX_FIELD_CHARS)
    throw invalid(path, 'Expected a string')
  return value
}

function invalid(path: (string | number)[], message: string): AuthError {
  return new AuthError('VALIDATION_ERROR', { issues: [{ path, message }] })
}
