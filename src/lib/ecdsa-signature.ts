/**
 * An ECDSA signature in DER (`SEQUENCE { INTEGER r, INTEGER s }`, what GitHub sends) as the
 * fixed-width `r || s` that WebCrypto's `verify` takes. Internal.
 * @module
 */

/**
 * The `r || s` form (2 × `size` bytes) of a DER signature, or `undefined` unless `der` is one in
 * strict DER: minimal lengths and integers, non-negative, nothing after it. OpenSSL (behind
 * `node:crypto`'s `verify` with `dsaEncoding: 'der'`) refuses any other encoding too, so both
 * accept the same signatures (tested against it in test/ecdsa-signature.test.ts).
 */
export function derToRawSignature(der: Uint8Array, size = 32): Uint8Array | undefined {
  // A P-256 signature is at most 72 bytes: its length always fits the short form.
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return undefined
  const out = new Uint8Array(2 * size)
  let at = 2
  for (const offset of [0, size]) {
    if (der[at] !== 0x02) return undefined
    const length = der[at + 1] as number
    let start = at + 2
    const end = start + length
    if (length === 0 || end > der.length) return undefined
    // Negative, or a leading zero byte that is not needed: not DER.
    if ((der[start] as number) & 0x80) return undefined
    if (der[start] === 0 && length > 1) {
      if (!((der[start + 1] as number) & 0x80)) return undefined
      start++
    }
    if (end - start > size) return undefined
    out.set(der.subarray(start, end), offset + size - (end - start))
    at = end
  }
  return at === der.length ? out : undefined
}
