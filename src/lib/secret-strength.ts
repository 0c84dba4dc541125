/**
 * How strong a secret (a pepper, a JWT session secret) must be, and the zod schema that checks
 * it. Internal: not exported from the package.
 * @module
 */
import { z } from 'zod'

/** Shortest secret accepted: RFC 7518 §3.2 asks HS256 keys (and so HMAC-SHA256 peppers) for 256 bits. */
export const MIN_SECRET_BYTES = 32
/** Fewer distinct bytes than this is a pattern (`aaaa…`, `changeme…`), not a random secret. */
export const MIN_DISTINCT_SECRET_BYTES = 10
/** RFC 7518 §3.2: HMAC keys at least as long as the hash output. */
export const HMAC_KEY_BYTES: Readonly<Record<string, number>> = { HS256: 32, HS384: 48, HS512: 64 }

/** The bytes of a secret: a string counts in UTF-8. */
export const secretBytes = (value: string | Uint8Array): Uint8Array =>
  typeof value === 'string' ? new TextEncoder().encode(value) : value

// Strength a program can check: length, and not a short pattern repeated ('aaaa…', 'changeme…').
/** What is too weak about `value`, or `undefined` when it is strong enough. */
export const weakness = (value: string | Uint8Array, minBytes: number): string | undefined => {
  const bytes = secretBytes(value)
  if (bytes.length < minBytes) return `must be at least ${minBytes} bytes (got ${bytes.length})`
  if (new Set(bytes).size < MIN_DISTINCT_SECRET_BYTES) {
    return `must hold at least ${MIN_DISTINCT_SECRET_BYTES} distinct bytes: use random bytes, e.g. \`openssl rand -base64 32\``
  }
  return undefined
}

/** A string or bytes of at least `minBytes`, not a short pattern; the message names the type. */
export const secretSchema = (minBytes: number): z.ZodType<string | Uint8Array<ArrayBuffer>> =>
  z
    .union([z.string(), z.instanceof(Uint8Array)], {
      error: `expected a string or bytes (Uint8Array) of at least ${minBytes} bytes`,
    })
    .superRefine((value, ctx) => {
      const problem = weakness(value, minBytes)
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem })
    })
