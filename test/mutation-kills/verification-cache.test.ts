/**
 * The principal a verification answers, as the verification cache builds it from the record
 * (src/service/verification-cache.ts `toCachedKey`), written against surviving mutants
 * (docs/testing.md, mutation testing): its expiry, its own limits, and metadata frozen all the
 * way down (nested objects, arrays, strings and `null` among the values).
 */
import { describe, expect, it } from 'vitest'
import { createApiKeyAuth, MemoryKeyStore } from '../../src/index.js'
import { VerificationCache } from '../../src/service/verification-cache.js'
import { createLogSink } from '../support/log-sink.js'
import { setup } from '../support/setup.js'
import { registerKey } from '../support/secret-scan.js'

describe('the principal of a verified key', () => {
  it('carries the expiry and the own limits of the record, and none when it has none', async () => {
    const h = setup()
    const rate = [{ name: 'minute', limit: 5, windowMs: 60_000 }]
    const limited = await h.auth.createKey({
      userId: 'u1',
      name: 'limited',
      expiresInDays: 3,
      limits: { rate },
    })
    registerKey(limited.key)
    const plain = await h.auth.createKey({ userId: 'u1', name: 'plain' })
    registerKey(plain.key)
    const first = await h.auth.verifyKey(limited.key)
    expect(first.expiresAt).toBeInstanceOf(Date)
    expect(first.expiresAt?.getTime()).toBe(h.clock.time + 3 * 86_400_000)
    expect(first.limits).toEqual({ rate })
    expect(Object.isFrozen(first.limits)).toBe(true)
    const second = await h.auth.verifyKey(plain.key)
    expect(second.expiresAt).toBeNull()
    expect('limits' in second).toBe(false)
    await h.auth.close()
  })

  it('freezes metadata all the way down, strings and null included', async () => {
    const h = setup()
    const metadata = { team: 'ml', note: null, nested: { tags: ['a', 'bc'], deep: { n: 1 } } }
    const created = await h.auth.createKey({ userId: 'u1', name: 'k', metadata })
    registerKey(created.key)
    const principal = await h.auth.verifyKey(created.key)
    expect(principal.metadata).toEqual(metadata)
    const meta = principal.metadata as typeof metadata
    expect(Object.isFrozen(meta)).toBe(true)
    expect(Object.isFrozen(meta.nested)).toBe(true)
    expect(Object.isFrozen(meta.nested.tags)).toBe(true)
    expect(Object.isFrozen(meta.nested.deep)).toBe(true)
    // A copy: the caller's object is not frozen.
    expect(Object.isFrozen(metadata.nested)).toBe(false)
    await h.auth.close()
  })
})

describe('without a cache', () => {
  it('a pushed revocation with telemetry on finds nothing cached, and changes nothing else', async () => {
    const propagated: number[] = []
    const sink = createLogSink()
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      logger: sink.logger,
      cache: false,
      telemetry: {
        verified: () => undefined,
        operation: (_name, run) => run(),
        storeCall: () => undefined,
        revocationPropagated: (delayMs) => {
          propagated.push(delayMs)
        },
        attach: () => undefined,
      },
    })
    const created = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(created.key)
    await auth.verifyKey(created.key)
    await auth.revokeKey({ userId: 'u1', keyId: created.id })
    await new Promise((resolve) => setImmediate(resolve))
    await expect(auth.verifyKey(created.key)).rejects.toMatchObject({ code: 'KEY_REVOKED' })
    expect(propagated).toEqual([])
    expect(sink.lines.filter((line) => line.level === 'error')).toEqual([])
    auth.close()
  })
})

describe('the cached keys', () => {
  it('keys granting the same scopes share one frozen list; other lists are their own', async () => {
    const h = setup()
    const issue = async (scopes: string[]) => {
      const created = await h.auth.createKey({ userId: 'u1', name: 'k', scopes })
      registerKey(created.key)
      return h.auth.verifyKey(created.key)
    }
    const a = await issue(['models:read', 'jobs:*'])
    const b = await issue(['models:read', 'jobs:*'])
    const c = await issue(['jobs:*', 'models:read'])
    expect(b.scopes).toBe(a.scopes)
    expect(c.scopes).not.toBe(a.scopes)
    expect(c.scopes).toEqual(['jobs:*', 'models:read'])
    expect(Object.isFrozen(a.scopes)).toBe(true)
    await h.auth.close()
  })

  it('keys without metadata share one frozen empty object; metadata of its own is a frozen copy', async () => {
    const h = setup()
    const issue = async (metadata?: Record<string, string>) => {
      const created = await h.auth.createKey({
        userId: 'u1',
        name: 'k',
        ...(metadata === undefined ? {} : { metadata }),
      })
      registerKey(created.key)
      return h.auth.verifyKey(created.key)
    }
    const a = await issue()
    const b = await issue({})
    const c = await issue({ team: 'ml' })
    expect(a.metadata).toEqual({})
    expect(b.metadata).toBe(a.metadata)
    expect(Object.isFrozen(a.metadata)).toBe(true)
    expect(c.metadata).toEqual({ team: 'ml' })
    expect(c.metadata).not.toBe(a.metadata)
    expect(Object.isFrozen(c.metadata)).toBe(true)
    await h.auth.close()
  })

  it('shares at most 1,024 lists; a key with a list beyond them gets its own, equal copy', async () => {
    const records = new Map<string, ApiKeyRecordLike>()
    const read = (digest: string) => Promise.resolve(records.get(digest) ?? null)
    const cache = new VerificationCache(
      { ttlMs: 30_000, maxEntries: 10_000, negativeTtlMs: 5_000, negativeMaxEntries: 10_000 },
      read as never,
    )
    const load = async (digest: string, scopes: string[]) => {
      records.set(digest, recordLike(digest, scopes))
      return (await cache.load(digest, 'k', 0))?.principal.scopes
    }
    for (let i = 0; i < 1_024; i++) await load(`d${i}`, [`s:${i}`])
    const first = await load('again', ['s:0'])
    expect(first).toBe(await load('again2', ['s:0']))
    const beyond = await load('new', ['s:new'])
    const beyondAgain = await load('new2', ['s:new'])
    expect(beyondAgain).toEqual(beyond)
    expect(beyondAgain).not.toBe(beyond)
    expect(Object.isFrozen(beyondAgain)).toBe(true)
    // A record whose metadata is null (a store's empty column) is as one without.
    records.set('nullmeta', { ...recordLike('nullmeta', ['s:0']), metadata: null } as never)
    const nullMeta = await cache.load('nullmeta', 'k', 0)
    expect(nullMeta?.principal.metadata).toEqual({})
    expect(nullMeta?.principal.metadata).toBe(
      (await cache.load('again', 'k', 0))?.principal.metadata,
    )
    // Each entry is the cached key itself, with its LRU fields.
    const entry = cache.peek('new2')
    expect(entry?.lruExpiresAt).toBe(30_000)
    expect(cache.hit('new2', 1)).toBe(entry)
  })
})

type ApiKeyRecordLike = ReturnType<typeof recordLike>
function recordLike(digest: string, scopes: string[]) {
  return {
    id: `id-${digest}`,
    userId: 'u1',
    name: 'k',
    keyPrefix: 'vydra_live_user_abc',
    scopes,
    createdAt: new Date(0),
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    hash: digest,
  }
}
