/**
 * What needs public-key cryptography, on each runtime (issue 15: WebCrypto where node:crypto is
 * missing, as on workerd): sessions verified with a public key (ES256 as PEM, RS256 as JWK,
 * EdDSA as PEM) create a key over the key routes, a forged or tampered session is 401
 * `SESSION_REQUIRED`; a GitHub secret-scanning report signed with P-256 (DER) revokes that key,
 * and unsigned, raw `r||s`, tampered or foreign-key reports are 401 `SIGNATURE_INVALID` and change
 * nothing. Keys and signatures are made here with node:crypto; the runtime only verifies.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { SignJWT } from 'jose'
import { expect, test } from 'vitest'
import { registerKey } from '../support/secret-scan.js'
import { createSigner, report, signedHeaders } from '../support/secret-scanning.js'
import { PK, type PublicKeyConfig } from './public-key-app.js'

interface SessionKind {
  name: string
  alg: string
  pair: { privateKey: KeyObject; publicKey: KeyObject }
  format: 'pem' | 'jwk'
}

const KINDS: SessionKind[] = [
  {
    name: 'ES256 (PEM)',
    alg: 'ES256',
    pair: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    format: 'pem',
  },
  {
    name: 'RS256 (JWK)',
    alg: 'RS256',
    pair: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    format: 'jwk',
  },
  { name: 'EdDSA (PEM)', alg: 'EdDSA', pair: generateKeyPairSync('ed25519'), format: 'pem' },
]
const forger = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const github = createSigner()

const session = (kind: { alg: string; privateKey: KeyObject }, userId: string): Promise<string> =>
  new SignJWT({ sub: userId })
    .setProtectedHeader({ alg: kind.alg })
    .setIssuer(PK.issuer)
    .setAudience(PK.audience)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(kind.privateKey)

const codeOf = async (response: Response): Promise<string | undefined> =>
  ((await response.json()) as { error?: { code?: string } }).error?.code

/** Registers the cases inside a runtime's `describe`; `url()` is its server once started. */
export function publicKeyCases(url: () => string): void {
  for (const kind of KINDS) {
    test(`PK ${kind.name} session creates a key; secret scanning revokes it`, async () => {
      const config: PublicKeyConfig = {
        sessionKey:
          kind.format === 'pem'
            ? kind.pair.publicKey.export({ type: 'spki', format: 'pem' }).toString()
            : (kind.pair.publicKey.export({ format: 'jwk' }) as Record<string, unknown>),
        github: [{ key_identifier: github.id, key: github.publicPem }],
      }
      const configured = await fetch(`${url()}/__pk/configure`, {
        method: 'POST',
        body: JSON.stringify(config),
      })
      expect(configured.status).toBe(204)

      const create = async (jwt: string) =>
        fetch(`${url()}${PK.routes}`, {
          method: 'POST',
          headers: { cookie: `__session=${jwt}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'ci', scopes: ['*'] }),
        })
      const good = await session({ alg: kind.alg, privateKey: kind.pair.privateKey }, 'pk_user')
      const forged = await session({ alg: 'ES256', privateKey: forger.privateKey }, 'pk_user')
      const tampered = good.replace(
        /\.[^.]+\./,
        `.${btoa(JSON.stringify({ sub: 'mallory' })).replace(/=+$/, '')}.`,
      )
      for (const jwt of [forged, tampered]) {
        const refused = await create(jwt)
        expect(refused.status).toBe(401)
        expect(await codeOf(refused)).toBe('SESSION_REQUIRED')
      }
      const created = await create(good)
      expect(created.status).toBe(201)
      const { key } = (await created.json()) as { key: string }
      registerKey(key)
      const use = () =>
        fetch(`${url()}${PK.models}`, { headers: { authorization: `Bearer ${key}` } })
      const used = await use()
      expect(used.status).toBe(200)
      expect(await used.json()).toMatchObject({ userId: 'pk_user' })

      const body = report([key])
      const post = (headers: Record<string, string>, text = body) =>
        fetch(`${url()}${PK.scanning}`, { method: 'POST', headers, body: text })
      const refusals = [
        await post({ 'content-type': 'application/json' }),
        await post(signedHeaders(github, body, 'ieee-p1363')),
        await post(signedHeaders(github, body), body.replace('content', 'commit')),
        await post(signedHeaders(createSigner(), body)),
      ]
      for (const refused of refusals) {
        expect(refused.status).toBe(401)
        expect(await codeOf(refused)).toBe('SIGNATURE_INVALID')
      }
      expect((await use()).status).toBe(200)
      const reported = await post(signedHeaders(github, body))
      expect(reported.status).toBe(200)
      expect(((await reported.json()) as { label: string }[]).map((l) => l.label)).toEqual([
        'true_positive',
      ])
      const after = await use()
      expect(after.status).toBe(401)
      expect(await codeOf(after)).toBe('KEY_REVOKED')
    })
  }
}
