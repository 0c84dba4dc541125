/**
 * Reading a PEM public key (SPKI) without `node:crypto`: its DER bytes, and which kind of key and
 * curve its algorithm identifier names. WebCrypto can import SPKI but cannot say what a key is
 * before being told, so the algorithm (and whether a key can be trusted at all) is read here.
 * Internal.
 * @module
 */

/** The kind of key an SPKI names, as `node:crypto` calls it (`asymmetricKeyType`). */
export interface SpkiKind {
  type: 'rsa' | 'rsa-pss' | 'ec' | 'ed25519' | 'other'
  /** For `ec`: `P-256`, `P-384`, `P-521`, or `other`. */
  curve?: string
}

const PEM = /^\s*-----BEGIN PUBLIC KEY-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END PUBLIC KEY-----\s*$/

/** The DER bytes of a `-----BEGIN PUBLIC KEY-----` PEM, or `undefined`. */
export function pemToSpki(pem: string): Uint8Array | undefined {
  const body = PEM.exec(pem)?.[1]
  if (body === undefined) return undefined
  return decodeBase64(body.replace(/\s+/g, ''))
}

/**
 * Decodes base64 as `Buffer.from(text, 'base64')` does for text of the base64 alphabet: padding
 * optional, a dangling sixth bit group dropped. `undefined` for any other character.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  let body = text.replace(/=+$/, '')
  if (!/^[A-Za-z0-9+/]*$/.test(body)) return undefined
  if (body.length % 4 === 1) body = body.slice(0, -1)
  const padded = body + '='.repeat((4 - (body.length % 4)) % 4)
  const binary = atob(padded)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

// DER content bytes of the object identifiers an SPKI may name.
const OID = {
  ecPublicKey: '2a8648ce3d0201',
  rsaEncryption: '2a864886f70d010101',
  rsassaPss: '2a864886f70d01010a',
  ed25519: '2b6570',
  'P-256': '2a8648ce3d030107',
  'P-384': '2b81040022',
  'P-521': '2b81040023',
}

interface Tlv {
  tag: number
  start: number
  end: number
}

// One DER element at `at` within `end`: definite, minimal lengths only.
function element(der: Uint8Array, at: number, end: number): Tlv | undefined {
  if (at + 2 > end) return undefined
  const tag = der[at] as number
  let length = der[at + 1] as number
  let start = at + 2
  if (length & 0x80) {
    const bytes = length & 0x7f
    if (bytes === 0 || bytes > 3 || start + bytes > end) return undefined
    length = 0
    for (let i = 0; i < bytes; i++) length = length * 256 + (der[start + i] as number)
    start += bytes
    if (length < 0x80 || (bytes > 1 && der[at + 2] === 0)) return undefined
  }
  return start + length > end ? undefined : { tag, start, end: start + length }
}

const hex = (der: Uint8Array, tlv: Tlv): string =>
  Array.from(der.subarray(tlv.start, tlv.end), (b) => b.toString(16).padStart(2, '0')).join('')

/**
 * What the SPKI's algorithm identifier names, or `undefined` when `der` is not an SPKI
 * (`SEQUENCE { SEQUENCE { OID, parameters }, BIT STRING }` and nothing after).
 */
export function spkiKind(der: Uint8Array): SpkiKind | undefined {
  const outer = element(der, 0, der.length)
  if (outer?.tag !== 0x30 || outer.end !== der.length) return undefined
  const algorithm = element(der, outer.start, outer.end)
  if (algorithm?.tag !== 0x30) return undefined
  const key = element(der, algorithm.end, outer.end)
  if (key?.tag !== 0x03 || key.end !== outer.end || key.end - key.start < 2) return undefined
  const oid = element(der, algorithm.start, algorithm.end)
  if (oid?.tag !== 0x06) return undefined
  const params = element(der, oid.end, algorithm.end)
  switch (hex(der, oid)) {
    case OID.rsaEncryption:
      return { type: 'rsa' }
    case OID.rsassaPss:
      return { type: 'rsa-pss' }
    case OID.ed25519:
      return { type: 'ed25519' }
    case OID.ecPublicKey: {
      const curve = params?.tag === 0x06 ? hex(der, params) : ''
      const name = (['P-256', 'P-384', 'P-521'] as const).find((c) => OID[c] === curve)
      return { type: 'ec', curve: name ?? 'other' }
    }
    default:
      return { type: 'other' }
  }
}
