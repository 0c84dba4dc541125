/** Attack class VER (docs/security.md): verification semantics: whose key it is, what is compared, what leaks. */
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { generateApiKey, hashApiKey, SECRET_LENGTH } from '../../src/index.js'
import { expectNoLeak } from '../support/leak.js'
import { codeOf, errorOf, recordFor, setup } from '../support/setup.js'

const PEPPER = 'pepper-for-ver-tests-Hq3Zk8Lm2Xw9Rv5Tn1Bc'

describe('VER: verification semantics', () => {
  it('VER-01 a well-formed unknown key is KEY_NOT_FOUND after exactly one lookup by the digest of the full key', async () => {
    const { auth, spy } = setup({ cache: false })
    const unknown = generateApiKey('u123')
    const seen: string[] = []
    spy.findResult = (hash) => {
      seen.push(hash)
      return null
    }
    const error = await errorOf(() => auth.authenticate(`Bearer ${unknown}`))
    expect(error).toMatchObject({ code: 'KEY_NOT_FOUND', status: 401 })
    expect(auth.errorResponse(error).headers['www-authenticate']).toBe(
      'Bearer realm="vydra", error="invalid_token"',
    )
    expect(seen).toEqual([hashApiKey(unknown)])
    expect(seen[0]).toMatch(/^[0-9a-f]{64}$/)
  })

  it('VER-01 with a pepper the lookup uses HMAC-SHA256 of the full key', async () => {
    const { auth, spy } = setup({ pepper: PEPPER, cache: false })
    const unknown = generateApiKey('u123')
    const seen: string[] = []
    spy.findResult = (hash) => (seen.push(hash), null)
    expect(await codeOf(() => auth.verifyKey(unknown))).toBe('KEY_NOT_FOUND')
    expect(seen).toEqual([hashApiKey(unknown, PEPPER)])
    expect(seen[0]).not.toBe(hashApiKey(unknown))
  })

  it('VER-03 a stored owner different from the key is KEY_NOT_FOUND and logged with the key id', async () => {
    const { auth, spy, logs } = setup()
    const key = generateApiKey('u123')
    const record = recordFor(key, { userId: 'someone_else' })
    await spy.memory.insert(record)
    expect(await codeOf(() => auth.authenticate(`Bearer ${key}`))).toBe('KEY_NOT_FOUND')
    const line = logs.lines.find((l) => l.level === 'error')
    expect(line?.context).toMatchObject({ keyId: record.id })
    expectNoLeak(logs.text(), key)
    // Not cached as valid: the second attempt is still refused.
    expect(await codeOf(() => auth.verifyKey(key))).toBe('KEY_NOT_FOUND')
  })

  it('VER-05 a revoked key with the correct secret is KEY_REVOKED', async () => {
    const { auth, issue } = setup()
    const { key, id } = await issue()
    await auth.revokeKey({ userId: 'u123', keyId: id })
    const error = await errorOf(() => auth.authenticate(`Bearer ${key}`))
    expect(error).toMatchObject({ code: 'KEY_REVOKED', status: 401 })
  })

  it('VER-08 two stored keys with the same keyPrefix each authenticate only with their own secret', async () => {
    const { auth, spy } = setup()
    // Both secrets start with the same four characters, so both display prefixes are equal.
    const sharedStart = (): ((n: number) => Uint8Array) => {
      let first = true
      return (n) => {
        const bytes = crypto.getRandomValues(new Uint8Array(n)).map((b) => b % 62)
        if (first) bytes.set([1, 2, 3, 4])
        first = false
        return bytes
      }
    }
    const k1 = generateApiKey({ userId: 'u123', randomBytes: sharedStart() })
    const k2 = generateApiKey({ userId: 'u123', randomBytes: sharedStart() })
    const k3 = generateApiKey({ userId: 'u123', randomBytes: sharedStart() })
    const r1 = recordFor(k1)
    const r2 = recordFor(k2)
    expect(r1.keyPrefix).toBe(r2.keyPrefix)
    await spy.memory.insert(r1)
    await spy.memory.insert(r2)
    expect((await auth.verifyKey(k1)).keyId).toBe(r1.id)
    expect((await auth.verifyKey(k2)).keyId).toBe(r2.id)
    expect(await codeOf(() => auth.verifyKey(k3))).toBe('KEY_NOT_FOUND')
  })

  it('VER-09 nothing stored holds the key or its secret; the digest is SHA-256; 72-byte twins differ', async () => {
    const { auth, spy, issue } = setup()
    const userId = 'u'.repeat(64) // the secret starts after byte 81, past bcrypt's 72-byte limit
    const a = await issue({ userId })
    const b = await issue({ userId })
    expect(a.key.slice(0, 72)).toBe(b.key.slice(0, 72))
    const records = await spy.memory.listByUser(userId)
    expect(records).toHaveLength(2)
    expectNoLeak(records, [a.key, b.key])
    expect(records.map((r) => r.hash).sort()).toEqual([hashApiKey(a.key), hashApiKey(b.key)].sort())
    expect((await auth.verifyKey(a.key)).keyId).toBe(a.id)
    expect((await auth.verifyKey(b.key)).keyId).toBe(b.id)
    const twin = generateApiKey(userId)
    expect(twin.slice(0, 72)).toBe(a.key.slice(0, 72))
    expect(await codeOf(() => auth.verifyKey(twin))).toBe('KEY_NOT_FOUND')
  })

  it('VER-10 the principal serialises without the key, its secret or its digest', async () => {
    const { auth, issue } = setup()
    const { key } = await issue()
    const principal = await auth.authenticate(`Bearer ${key}`)
    const text = `${JSON.stringify(principal)}\n${inspect(principal, { showHidden: true, depth: 10 })}`
    expectNoLeak(text, key)
    expect(text.includes(hashApiKey(key))).toBe(false)
    expect(text.includes(key.slice(-SECRET_LENGTH))).toBe(false)
    expect(Object.keys(principal).sort()).toEqual([
      'expiresAt',
      'keyId',
      'metadata',
      'name',
      'ownerId',
      'ownerType',
      'scopes',
      'userId',
    ])
  })

  it('VER precedence: KEY_REVOKED > KEY_EXPIRED > INSUFFICIENT_SCOPE', async () => {
    const { auth, spy, clock } = setup()
    const both = generateApiKey('u123')
    const expiredOnly = generateApiKey('u123')
    await spy.memory.insert(
      recordFor(both, { revokedAt: new Date(clock.time - 5), expiresAt: new Date(clock.time - 1) }),
    )
    await spy.memory.insert(recordFor(expiredOnly, { expiresAt: new Date(clock.time - 1) }))
    const scopes = ['models:write']
    expect(await codeOf(() => auth.verifyKey(both, { scopes }))).toBe('KEY_REVOKED')
    expect(await codeOf(() => auth.verifyKey(expiredOnly, { scopes }))).toBe('KEY_EXPIRED')
  })
})
