/**
 * A digest's two string forms: hex (what stores hold) and binary (one char per byte, what the
 * verification cache is keyed by; see `createBinaryKeyHasher` in hash.ts). Internal: not
 * exported from the package. Plain loops, no `Buffer`, so that any runtime has them; they run
 * on a cache miss or an eviction, never on a hit.
 * @module
 */

const HEX = '0123456789abcdef'

/**
 * The binary form of a hex digest; `''` (which keys nothing) for a string that is not hex, so
 * that a malformed digest from a store can never name another key's entry.
 */
export function hexToBinary(hex: string): string {
  if (hex.length % 2 !== 0) return ''
  let binary = ''
  for (let i = 0; i < hex.length; i += 2) {
    const high = nibble(hex.charCodeAt(i))
    const low = nibble(hex.charCodeAt(i + 1))
    if (high < 0 || low < 0) return ''
    binary += String.fromCharCode((high << 4) | low)
  }
  return binary
}

/** The lower-case hex form of a binary digest. */
export function binaryToHex(binary: string): string {
  let hex = ''
  for (let i = 0; i < binary.length; i++) {
    const byte = binary.charCodeAt(i) & 0xff
    hex += HEX.charAt(byte >>> 4) + HEX.charAt(byte & 0x0f)
  }
  return hex
}

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48
  if (code >= 97 && code <= 102) return code - 87
  if (code >= 65 && code <= 70) return code - 55
  return -1
}
