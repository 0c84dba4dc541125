/**
 * The WebCrypto side of secret scanning and public-key sessions (issue 15: they run on workerd),
 * held to node:crypto as the oracle: the DER signature check accepts exactly what OpenSSL's
 * `verify` with `dsaEncoding: 'der'` accepts, base64 decodes as `Buffer` does, and an SPKI's
 * kind is what `KeyObject` says it is.
 */
import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'
import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { derToRawSignature } from '../src/lib/ecdsa-signature.js'
import { decodeBase64, pemToSpki, spkiKind } from '../src/lib/spki.js'

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const webKey = await crypto.subtle.importKey(
  'spki',
  publicKey.export({ type: 'spki', format: 'der' }),
  { name: 'ECDSA', namedCurve: 'P-256' },
  false,
  ['verify'],
)

async function webVerify(body: Uint8Array, der: Uint8Array): Promise<boolean> {
  const raw = derToRawSignature(der)
  if (raw === undefined) return false
  return crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, webKey, raw, body)
}

const nodeVerify = (body: Uint8Array, der: Uint8Array): boolean => {
  try {
    return verify('sha256', body, { key: publicKey, dsaEncoding: 'der' }, der)
  } catch {
    return false
  }
}

// Edits that keep a DER signature close to valid: a byte changed, inserted or removed, a length
// byte off by one, a leading zero added to an integer, bytes appended.
const edit = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('remove' as const), at: fc.nat(), value: fc.constant(0) }),
  fc.record({
    kind: fc.constant('length' as const),
    at: fc.nat(3),
    value: fc.integer({ min: -1, max: 1 }),
  }),
  fc.record({ kind: fc.constant('pad' as const), at: fc.nat(1), value: fc.constant(0) }),
)

function applyEdit(
  der: Uint8Array,
  e: { kind: 'set' | 'insert' | 'remove' | 'length' | 'pad'; at: number; value: number },
): Uint8Array {
  const bytes = [...der]
  const at = e.at % (bytes.length + 1)
  if (e.kind === 'set') bytes[at % bytes.length] = e.value
  if (e.kind === 'insert') bytes.splice(at, 0, e.value)
  if (e.kind === 'remove') bytes.splice(at % bytes.length, 1)
  const rAt = 2
  const sAt = 4 + (bytes[3] ?? 0)
  if (e.kind === 'length') {
    const where = [1, rAt + 1, sAt + 1][e.at % 3] as number
    bytes[where] = ((bytes[where] ?? 0) + e.value) & 0xff
  }
  if (e.kind === 'pad') {
    const where = e.at === 0 ? rAt : sAt
    bytes.splice(where + 2, 0, 0)
    bytes[where + 1] = (bytes[where + 1] ?? 0) + 1
    bytes[1] = (bytes[1] ?? 0) + 1
  }
  return Uint8Array.from(bytes)
}

describe('DER signatures: WebCrypto path agrees with node:crypto', () => {
  test.prop([fc.uint8Array({ maxLength: 64 }), fc.array(edit, { maxLength: 3 })], { numRuns: 300 })(
    'valid and edited signatures are accepted alike',
    async (body, edits) => {
      let der: Uint8Array = new Uint8Array(
        sign('sha256', body, { key: privateKey, dsaEncoding: 'der' }),
      )
      for (const e of edits) der = applyEdit(der, e)
      expect(await webVerify(body, der)).toBe(nodeVerify(body, der))
    },
  )

  test.prop([fc.uint8Array({ minLength: 0, maxLength: 80 })], { numRuns: 300 })(
    'arbitrary bytes are refused alike',
    async (der) => {
      const body = new TextEncoder().encode('[]')
      expect(await webVerify(body, der)).toBe(nodeVerify(body, der))
    },
  )

  test.prop([fc.uint8Array({ maxLength: 64 })], { numRuns: 50 })(
    'a raw r||s signature is not DER',
    (body) => {
      const raw = sign('sha256', body, { key: privateKey, dsaEncoding: 'ieee-p1363' })
      expect(derToRawSignature(new Uint8Array(raw))).toBeUndefined()
    },
  )
})

describe('base64 and SPKI without node:crypto', () => {
  test.prop([fc.stringMatching(/^[A-Za-z0-9+/]{0,40}={0,2}$/)])(
    'decodeBase64 reads base64-alphabet text as Buffer does',
    (text) => {
      expect(decodeBase64(text)).toEqual(new Uint8Array(Buffer.from(text, 'base64')))
    },
  )

  const kinds: [string, KeyObject][] = [
    ['rsa', generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey],
    ['rsa-pss', generateKeyPairSync('rsa-pss', { modulusLength: 1024 }).publicKey],
    ['ed25519', generateKeyPairSync('ed25519').publicKey],
    ['ed448', generateKeyPairSync('ed448').publicKey],
    ['x25519', generateKeyPairSync('x25519').publicKey],
    ...(['P-256', 'P-384', 'P-521', 'secp256k1'] as const).map((curve): [string, KeyObject] => [
      `ec ${curve}`,
      generateKeyPairSync('ec', { namedCurve: curve }).publicKey,
    ]),
  ]
  const CURVES: Record<string, string> = {
    prime256v1: 'P-256',
    secp384r1: 'P-384',
    secp521r1: 'P-521',
  }

  for (const [name, key] of kinds) {
    test(`spkiKind of ${name} matches KeyObject`, () => {
      const der = pemToSpki(key.export({ type: 'spki', format: 'pem' }).toString())
      expect(der).toBeDefined()
      const type = key.asymmetricKeyType as string
      const expected = ['rsa', 'rsa-pss', 'ec', 'ed25519'].includes(type) ? type : 'other'
      const kind = spkiKind(der as Uint8Array)
      expect(kind?.type).toBe(expected)
      if (type === 'ec') {
        const curve = key.asymmetricKeyDetails?.namedCurve as string
        expect(kind?.curve).toBe(CURVES[curve] ?? 'other')
      }
    })
  }

  test.prop([fc.uint8Array({ maxLength: 120 })])('arbitrary bytes never throw', (bytes) => {
    const kind = spkiKind(bytes)
    let readable = true
    try {
      createPublicKey({ key: Buffer.from(bytes), format: 'der', type: 'spki' })
    } catch {
      readable = false
    }
    // What node:crypto can read as an SPKI, the reader recognises as one.
    if (readable) expect(kind).toBeDefined()
  })

  test('only a PUBLIC KEY PEM is read', () => {
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
    expect(pemToSpki(pem)).toBeDefined()
    expect(pemToSpki(pem.replaceAll('PUBLIC KEY', 'RSA PUBLIC KEY'))).toBeUndefined()
    expect(pemToSpki('not a key')).toBeUndefined()
    expect(pemToSpki(pem.replace('-----END', '!-----END'))).toBeUndefined()
  })
})
