/** Base62 helpers for key secrets. Internal: not exported from the package. */
import { AuthError } from '../errors.js'

export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** True when the char code is `[0-9A-Za-z]`. */
export function isBase62Code(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
}

/** Fixed-width base62 of a non-negative integer below 2^53, left-padded with '0'. */
export function encodeBase62Fixed(value: number, width: number): string {
  let out = ''
  let rest = value
  for (let i = 0; i < width; i++) {
    out = BASE62_ALPHABET[rest % 62] + out
    rest = Math.floor(rest / 62)
  }
  return out
}

/** A source of cryptographically secure random bytes. */
export type RandomBytes = (length: number) => Uint8Array

// 248 = 4 * 62: bytes at or above it are dropped, so every character is equally likely.
const REJECT_FROM = 248

// A sound source needs one or two draws; this many means it is broken, not unlucky.
const MAX_DRAWS = 64

/**
 * `length` base62 characters drawn uniformly from `random` by rejection sampling.
 * @throws {@link AuthError} `CONFIGURATION_ERROR` when `random` keeps yielding nothing usable.
 */
export function randomBase62(length: number, random: RandomBytes): string {
  let out = ''
  for (let draw = 0; out.length < length; draw++) {
    const bytes = draw < MAX_DRAWS ? random(Math.ceil((length - out.length) * 1.1) + 4) : undefined
    if (!(bytes instanceof Uint8Array)) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'The random source yields no usable bytes',
      })
    }
    for (let i = 0; i < bytes.length && out.length < length; i++) {
      const byte = bytes[i] as number
      if (byte < REJECT_FROM) out += BASE62_ALPHABET[byte % 62]
    }
  }
  return out
}
