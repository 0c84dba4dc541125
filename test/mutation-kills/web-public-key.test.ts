/**
 * `session.jwt.publicKey` read without node:crypto (src/http/session/web-public-key.ts), written
 * against the mutants that survived once test/session-web-key.test.ts really took that path
 * (docs/testing.md, mutation testing): CryptoKeys of each algorithm, private CryptoKeys, JWKs
 * whose members or curves are not usable, and values that are no key at all. The algorithms
 * expected are those of RFC 7518 §3.1 for each key type, written out.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { webPublicKey } from '../../src/http/session/web-public-key.js'

const UNREADABLE = 'session.jwt.publicKey is not a readable public key'

function refusal(value: unknown): unknown {
  try {
    webPublicKey(value)
    return 'accepted'
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown }
    return [code, message]
  }
}

describe('webPublicKey: a WebCrypto CryptoKey verifies the one algorithm it was imported for', () => {
  const spkiOf = (pair: { publicKey: KeyObject }): Buffer =>
    pair.publicKey.export({ type: 'spki', format: 'der' })

  it('RSASSA-PKCS1-v1_5 is RS<bits>, RSA-PSS is PS<bits>, Ed25519 is EdDSA and Ed25519', async () => {
    const rsa = spkiOf(generateKeyPairSync('rsa', { modulusLength: 2048 }))
    const ed = spkiOf(generateKeyPairSync('ed25519'))
    const cases: [Parameters<typeof crypto.subtle.importKey>[2], Buffer, string[]][] = [
      [{ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, rsa, ['RS256']],
      [{ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' }, rsa, ['RS512']],
      [{ name: 'RSA-PSS', hash: 'SHA-384' }, rsa, ['PS384']],
      [{ name: 'Ed25519' }, ed, ['EdDSA', 'Ed25519']],
    ]
    for (const [algorithm, der, expected] of cases) {
      const key = await crypto.subtle.importKey('spki', der, algorithm, false, ['verify'])
      expect([algorithm, webPublicKey(key).derived]).toEqual([algorithm, expected])
    }
  })

  it('a CryptoKey of no JWS algorithm derives none; a private CryptoKey is refused', async () => {
    const x25519 = generateKeyPairSync('x25519')
    const ecdh = await crypto.subtle.importKey(
      'spki',
      x25519.publicKey.export({ type: 'spki', format: 'der' }),
      { name: 'X25519' },
      false,
      [],
    )
    expect(webPublicKey(ecdh).derived).toEqual([])
    const ed = generateKeyPairSync('ed25519')
    const privateKey = await crypto.subtle.importKey(
      'pkcs8',
      ed.privateKey.export({ type: 'pkcs8', format: 'der' }),
      { name: 'Ed25519' },
      false,
      ['sign'],
    )
    expect(refusal(privateKey)).toEqual(['CONFIGURATION_ERROR', UNREADABLE])
  })
})

describe('webPublicKey: JWKs', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
    format: 'jwk',
  }) as Record<string, string>
  const okp = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) as Record<
    string,
    string
  >

  it('a member with a character outside base64url, at either end, is unreadable', () => {
    for (const bad of [`+${ec.x}`, `${ec.x}=`, `${ec.x} `, ` ${ec.x}`]) {
      expect([bad, refusal({ ...ec, x: bad })]).toEqual([bad, ['CONFIGURATION_ERROR', UNREADABLE]])
    }
    expect(webPublicKey(ec).derived).toEqual(['ES256'])
  })

  it('an EC curve no JWS algorithm uses is unreadable, not a key with no algorithms', () => {
    for (const crv of ['P-192', 'secp256k1', 'X25519']) {
      expect([crv, refusal({ ...ec, crv })]).toEqual([crv, ['CONFIGURATION_ERROR', UNREADABLE]])
    }
  })

  it('an OKP key is read only on the Ed25519 curve; another kty with that curve is not', () => {
    expect(webPublicKey(okp).derived).toEqual(['EdDSA', 'Ed25519'])
    for (const jwk of [
      { ...okp, crv: 'X25519' },
      { ...okp, crv: 'Ed448' },
      { ...okp, kty: 'oct' },
      { kty: 'oct', crv: 'Ed25519', x: okp.x },
    ]) {
      expect([jwk, refusal(jwk)]).toEqual([jwk, ['CONFIGURATION_ERROR', UNREADABLE]])
    }
  })

  it('values that are no key at all are unreadable, never another error', () => {
    for (const value of [null, undefined, 42, true, Symbol('k')]) {
      expect([String(value), refusal(value)]).toEqual([
        String(value),
        ['CONFIGURATION_ERROR', UNREADABLE],
      ])
    }
  })
})
