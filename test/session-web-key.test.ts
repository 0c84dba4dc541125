/**
 * `session.jwt.publicKey` without node:crypto (workerd): `resolveJwtKey` loaded with node:crypto
 * mocked away takes the WebCrypto path on Node too, so every key format is held to the node:crypto path here: the same
 * algorithms derived, the same tokens accepted and refused, the same configuration errors. The
 * runtime suite (test/runtimes/) runs the same keys on workerd itself.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { errors, jwtVerify, SignJWT } from 'jose'
import { beforeAll, describe, expect, test, vi } from 'vitest'
import { resolveJwtKey as resolveWithNodeCrypto } from '../src/http/session/jwt-key.js'
import { nodeCrypto } from '../src/lib/node-crypto.js'

// `resolveJwtKey(jwt, undefined)` would not do: a default parameter turns `undefined` into the
// runtime's node:crypto, so both sides would take the node:crypto path (mutation testing showed
// web-public-key.ts uncovered). The WebCrypto side is a copy of the module loaded as on workerd.
let resolveWithoutNodeCrypto: typeof resolveWithNodeCrypto
beforeAll(async () => {
  vi.resetModules()
  vi.doMock('../src/lib/node-crypto.js', () => ({ nodeCrypto: undefined }))
  try {
    resolveWithoutNodeCrypto = (await import('../src/http/session/jwt-key.js')).resolveJwtKey
  } finally {
    vi.doUnmock('../src/lib/node-crypto.js')
    vi.resetModules()
  }
})
const resolveJwtKey = (
  jwt: Parameters<typeof resolveWithNodeCrypto>[0],
  crypto: typeof nodeCrypto,
): ReturnType<typeof resolveWithNodeCrypto> =>
  crypto === undefined ? resolveWithoutNodeCrypto(jwt) : resolveWithNodeCrypto(jwt, crypto)

type Pair = { privateKey: KeyObject; publicKey: KeyObject }

const pairs: Record<string, { pair: Pair; alg: string }> = {
  'RSA (RS256)': { pair: generateKeyPairSync('rsa', { modulusLength: 2048 }), alg: 'RS256' },
  'RSA (PS384)': { pair: generateKeyPairSync('rsa', { modulusLength: 2048 }), alg: 'PS384' },
  'P-256': { pair: generateKeyPairSync('ec', { namedCurve: 'P-256' }), alg: 'ES256' },
  'P-384': { pair: generateKeyPairSync('ec', { namedCurve: 'P-384' }), alg: 'ES384' },
  'P-521': { pair: generateKeyPairSync('ec', { namedCurve: 'P-521' }), alg: 'ES512' },
  Ed25519: { pair: generateKeyPairSync('ed25519'), alg: 'EdDSA' },
}
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' })

const token = (privateKey: KeyObject, alg: string): Promise<string> =>
  new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg }).setExpirationTime('1h').sign(privateKey)

async function outcome(publicKey: unknown, jwt: string, crypto: typeof nodeCrypto) {
  const { key, algorithms } = resolveJwtKey({ publicKey } as never, crypto)
  try {
    await jwtVerify(jwt, key as never, { algorithms })
    return 'ok'
  } catch (error) {
    return error instanceof errors.JOSEError ? error.code : String(error)
  }
}

const formats = (publicKey: KeyObject): Record<string, unknown> => ({
  pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  jwk: publicKey.export({ format: 'jwk' }),
})

describe('public keys without node:crypto agree with node:crypto', () => {
  for (const [name, { pair, alg }] of Object.entries(pairs)) {
    for (const [format, publicKey] of Object.entries(formats(pair.publicKey))) {
      test(`${name} as ${format}: same algorithms, same verdicts`, async () => {
        const web = resolveJwtKey({ publicKey } as never, undefined)
        const node = resolveJwtKey({ publicKey } as never, nodeCrypto)
        expect(web.algorithms).toEqual(node.algorithms)
        const good = await token(pair.privateKey, alg)
        const forged = await token(stranger.privateKey, 'ES256')
        const tampered = good.slice(0, -4) + (good.endsWith('AAAA') ? 'BBBB' : 'AAAA')
        for (const jwt of [good, forged, tampered]) {
          expect(await outcome(publicKey, jwt, undefined)).toBe(
            await outcome(publicKey, jwt, nodeCrypto),
          )
        }
        expect(await outcome(publicKey, good, undefined)).toBe('ok')
      })
    }
  }

  test('a WebCrypto CryptoKey verifies the one algorithm it was imported for', async () => {
    const { pair } = pairs['P-256'] as { pair: Pair }
    const cryptoKey = await crypto.subtle.importKey(
      'spki',
      pair.publicKey.export({ type: 'spki', format: 'der' }),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    )
    expect(resolveJwtKey({ publicKey: cryptoKey } as never, undefined).algorithms).toEqual([
      'ES256',
    ])
    expect(await outcome(cryptoKey, await token(pair.privateKey, 'ES256'), undefined)).toBe('ok')
  })

  test('a private JWK is read as its public half, as node:crypto does', async () => {
    const { pair, alg } = pairs.Ed25519 as { pair: Pair; alg: string }
    const privateJwk = pair.privateKey.export({ format: 'jwk' })
    expect(await outcome(privateJwk, await token(pair.privateKey, alg), undefined)).toBe('ok')
  })

  test('unreadable keys, an RSA-PSS key and algorithms that do not fit: the same errors', () => {
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey
    const x25519 = generateKeyPairSync('x25519').publicKey
    const cases: [string, Record<string, unknown>][] = [
      ['not a pem', { publicKey: 'not a pem' }],
      ['a jwk without x', { publicKey: { kty: 'OKP', crv: 'Ed25519' } }],
      ['an RSA-PSS key', { publicKey: pss.export({ type: 'spki', format: 'pem' }).toString() }],
      ['an X25519 key', { publicKey: x25519.export({ type: 'spki', format: 'pem' }).toString() }],
      [
        'RS256 for a P-256 key',
        {
          publicKey: formats(pairs['P-256']?.pair.publicKey as KeyObject).pem,
          algorithms: ['RS256'],
        },
      ],
    ]
    const errorOf = (jwt: Record<string, unknown>, crypto: typeof nodeCrypto) => {
      try {
        resolveJwtKey(jwt as never, crypto)
        return 'ok'
      } catch (error) {
        const { code, message } = error as { code: string; message: string }
        return `${code}: ${message}`
      }
    }
    for (const [name, jwt] of cases) {
      const web = errorOf(jwt, undefined)
      expect(web, name).toMatch(/^CONFIGURATION_ERROR: /)
      expect(web, name).toBe(errorOf(jwt, nodeCrypto))
    }
  })
})
