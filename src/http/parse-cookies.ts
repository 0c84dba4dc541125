/**
 * `Cookie` header parsing, so adapters need no cookie middleware.
 * @module
 */

const MAX_COOKIE_HEADER = 16_384

/**
 * Parses a `Cookie` header (RFC 6265 §4.2) into name → value. The first of several cookies with
 * one name wins (the most specific path comes first); values are percent-decoded when valid.
 *
 * @example
 * ```ts
 * parseCookies('__session=abc; theme=dark') // { __session: 'abc', theme: 'dark' }
 * ```
 */
export function parseCookies(header: unknown): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null) as Record<string, string>
  const fields = Array.isArray(header) ? header : [header]
  for (const field of fields) {
    if (typeof field !== 'string' || field.length > MAX_COOKIE_HEADER) continue
    for (const pair of field.split(';')) {
      const eq = pair.indexOf('=')
      if (eq <= 0) continue
      const name = pair.slice(0, eq).trim()
      if (name.length === 0 || Object.hasOwn(cookies, name)) continue
      let value = pair.slice(eq + 1).trim()
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
        value = value.slice(1, -1)
      }
      cookies[name] = decode(value)
    }
  }
  return cookies
}

function decode(value: string): string {
  if (!value.includes('%')) return value
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}
