/**
 * Verification details written against surviving mutants (docs/testing.md, mutation testing):
 * which refusal wins when a key is both disabled (or revoked) and expired, refusals while usage
 * is counted, and the any-of scope requirement's errors.
 */
import { describe, expect, it } from 'vitest'
import {
  type ApiKeyAuth,
  type ApiKeyRecord,
  AuthError,
  createApiKeyAuth,
  generateApiKey,
  MemoryKeyStore,
  MemoryUsageStore,
} from '../../src/index.js'
import type { AuthTelemetry, VerificationSource } from '../../src/telemetry.js'
import { authenticateNowOf } from '../../src/lib/authenticate-now.js'
import { createClock } from '../support/clock.js'
import { createLogSink } from '../support/log-sink.js'
import { registerKey } from '../support/secret-scan.js'
import { codeOf, errorOf, setup } from '../support/setup.js'

const DAY = 86_400_000

describe('refusal order: revoked, expired, disabled', () => {
  it('an expired key that is also disabled is KEY_EXPIRED; revoked beats expired', async () => {
    // The memory store supports disabling (the store spy of setup() does not).
    const clock = createClock()
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      now: clock.now,
      logger: createLogSink().logger,
    })
    const issue = async (): Promise<{ key: string; id: string }> => {
      const created = await auth.createKey({ userId: 'u1', name: 'k', expiresInDays: 1 })
      registerKey(created.key)
      return { key: created.key, id: created.id }
    }
    const disabled = await issue()
    const revoked = await issue()
    await auth.disableKey({ userId: 'u1', keyId: disabled.id })
    await auth.revokeKey({ userId: 'u1', keyId: revoked.id })
    expect(await codeOf(() => auth.verifyKey(disabled.key))).toBe('KEY_DISABLED')
    expect(await codeOf(() => auth.verifyKey(revoked.key))).toBe('KEY_REVOKED')
    // A day later both have expired: expiry outranks disabled, not revoked.
    clock.advance(DAY + 1_000)
    expect(await codeOf(() => auth.verifyKey(disabled.key))).toBe('KEY_EXPIRED')
    expect(await codeOf(() => auth.verifyKey(revoked.key))).toBe('KEY_REVOKED')
    auth.close()
  })
})

describe('refusals while usage is counted', () => {
  it('a malformed key, a missing header and a refused scope keep their own codes', async () => {
    const h = setup({ usageStore: new MemoryUsageStore() })
    const { key } = await h.issue()
    expect(await codeOf(() => h.auth.verifyKey('not a key'))).toBe('INVALID_FORMAT')
    expect(await codeOf(() => h.auth.verifyKey(42))).toBe('INVALID_FORMAT')
    expect(await codeOf(() => h.auth.authenticate(undefined))).toBe('MISSING_AUTH')
    expect(await codeOf(() => h.auth.authenticate('Basic abc'))).toBe('INVALID_FORMAT')
    // A damaged checksum: INVALID_FORMAT before any lookup.
    expect(await codeOf(() => h.auth.verifyKey(`${key.slice(0, -6)}AAAAAA`))).toBe('INVALID_FORMAT')
    expect(await codeOf(() => h.auth.verifyKey(key, { scopes: ['admin'] }))).toBe(
      'INSUFFICIENT_SCOPE',
    )
    expect(await codeOf(() => h.auth.verifyKey(key))).toBe('resolved')
    await h.auth.close()
  })
})

describe('any-of scopes', () => {
  it('an empty or non-array anyOf is a configuration error that says what is wrong', async () => {
    const h = setup()
    const { key } = await h.issue({ scopes: ['*'] })
    for (const anyOf of [[], 'models:read', undefined]) {
      const error = await errorOf(() =>
        h.auth.verifyKey(key, { scopes: { anyOf } as unknown as { anyOf: string[] } }),
      )
      expect(error).toBeInstanceOf(AuthError)
      expect(error).toMatchObject({
        code: 'CONFIGURATION_ERROR',
        message: 'Required scopes { anyOf } must be a non-empty array',
      })
    }
  })

  it('a refusal names every alternative, in order, once', async () => {
    const h = setup()
    const { key } = await h.issue({ scopes: ['models:read'] })
    // "Stryker was here" is what StrykerJS puts into a mutated empty array: the alternatives
    // are compared with no granted scope at all, so even that string is named.
    const anyOf = ['jobs:read', 'upload:*', 'jobs:read', 'Stryker was here']
    const error = await errorOf(() => h.auth.verifyKey(key, { scopes: { anyOf } }))
    expect(error).toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
      requiredScopes: ['jobs:read', 'upload:*', 'Stryker was here'],
    })
    expect(
      await codeOf(() => h.auth.verifyKey(key, { scopes: { anyOf: ['x', 'models:read'] } })),
    ).toBe('resolved')
  })
})

describe('owner kinds', () => {
  it('a key of the second enabled kind is read with its own head, not the first', async () => {
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      now: createClock().now,
      logger: createLogSink().logger,
      ownerTypes: ['user', 'org', 'svc'],
    })
    for (const ownerType of ['svc', 'org'] as const) {
      const created = await auth.createKey({ ownerType, ownerId: 'acme', name: 'k' })
      registerKey(created.key)
      expect(await auth.verifyKey(created.key)).toMatchObject({
        userId: `${ownerType}:acme`,
        ownerType,
        ownerId: 'acme',
      })
    }
    auth.close()
  })
})

describe("a 'firstUse' roll starts the old key's grace once", () => {
  // Counts (and can fail) the store's grace starts.
  class CountingStore extends MemoryKeyStore {
    calls = 0
    failures = 0
    override async startRollGrace(keyId: string, at: Date): Promise<ApiKeyRecord | null> {
      this.calls++
      if (this.failures > 0) {
        this.failures--
        throw new Error('store down')
      }
      return super.startRollGrace(keyId, at)
    }
  }
  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 10))

  const fixture = async (
    graceStarts: 'firstUse' | 'now',
  ): Promise<{
    store: CountingStore
    clock: ReturnType<typeof createClock>
    auth: ApiKeyAuth
    next: string
    plain: string
  }> => {
    const store = new CountingStore()
    const clock = createClock()
    const auth = createApiKeyAuth({
      store,
      now: clock.now,
      logger: createLogSink().logger,
      touchIntervalMs: 1_000,
      cache: { ttlMs: 30_000, maxEntries: 100, negativeTtlMs: 5_000 },
    })
    const old = await auth.createKey({ userId: 'u1', name: 'old' })
    const plain = await auth.createKey({ userId: 'u1', name: 'plain' })
    const rolled = await auth.rollKey({
      userId: 'u1',
      keyId: old.id,
      gracePeriodMs: 3_600_000,
      graceStarts,
    })
    for (const key of [old.key, plain.key, rolled.key]) registerKey(key)
    return { store, clock, auth, next: rolled.key, plain: plain.key }
  }

  it('asks the store once, on the first use; never for a roll whose grace starts now, or a plain key', async () => {
    const first = await fixture('firstUse')
    for (let i = 0; i < 3; i++) {
      await first.auth.verifyKey(first.next)
      await settle()
      first.clock.advance(2_000)
    }
    expect(first.store.calls).toBe(1)
    first.auth.close()

    const immediate = await fixture('now')
    for (let i = 0; i < 3; i++) {
      await immediate.auth.verifyKey(immediate.next)
      await immediate.auth.verifyKey(immediate.plain)
      await settle()
      immediate.clock.advance(2_000)
    }
    expect(immediate.store.calls).toBe(0)
    immediate.auth.close()
  })

  it('asks again at the next use after a failed start, and stops once it succeeded', async () => {
    const f = await fixture('firstUse')
    f.store.failures = 1
    for (let i = 0; i < 4; i++) {
      await f.auth.verifyKey(f.next)
      await settle()
      f.clock.advance(2_000)
    }
    expect(f.store.calls).toBe(2)
    f.auth.close()
  })
})

describe('a record with a first-use grace but no predecessor', () => {
  it('asks no store to start a grace (there is no old key to end)', async () => {
    // A store that answers such a record (the library's roll always writes both fields).
    class OddStore extends MemoryKeyStore {
      calls = 0
      override async findByHash(hash: string): Promise<ApiKeyRecord | null> {
        const record = await super.findByHash(hash)
        return record === null ? null : { ...record, firstUseGraceMs: 60_000, rolledFrom: null }
      }
      override async startRollGrace(keyId: string, at: Date): Promise<ApiKeyRecord | null> {
        this.calls++
        return super.startRollGrace(keyId, at)
      }
    }
    const store = new OddStore()
    const clock = createClock()
    const auth = createApiKeyAuth({ store, now: clock.now, logger: createLogSink().logger })
    const created = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(created.key)
    await auth.verifyKey(created.key)
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(store.calls).toBe(0)
    auth.close()
  })
})

// Since the hit path hashes before the grammar and checksum check (src/service/verifier.ts,
// `verifyString`), that check runs only on a miss, before the negative cache and the store. A
// cold service (nothing ever verified, so every lookup is a miss): a checksum-invalid key of
// every enabled owner kind is INVALID_FORMAT with no store call and no negative-cache entry,
// while a checksum-valid unknown key does reach the store (the check refuses no more than it must).
describe('the grammar and checksum check on a miss', () => {
  it('keeps checksum-invalid keys of every kind from the store; lets valid unknown keys through', async () => {
    const h = setup({ spy: { touch: false }, ownerTypes: ['user', 'org', 'svc'] })
    const user = await h.issue()
    const org = await h.auth.createKey({ ownerType: 'org', ownerId: 'acme', name: 'o' })
    const svc = await h.auth.createKey({ ownerType: 'svc', ownerId: 'jobs', name: 's' })
    registerKey(org.key)
    registerKey(svc.key)
    const before = h.spy.total()
    for (const good of [user.key, org.key, svc.key]) {
      const damaged = [
        good.slice(0, -1) + (good.at(-1) === 'A' ? 'B' : 'A'),
        good.slice(0, -6) + (good.slice(-6) === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA'),
        good.slice(0, 30) + (good[30] === 'a' ? 'b' : 'a') + good.slice(31),
      ]
      for (const bad of damaged) {
        expect(await codeOf(() => h.auth.verifyKey(bad))).toBe('INVALID_FORMAT')
        expect(await codeOf(() => h.auth.authenticate(`Bearer ${bad}`))).toBe('INVALID_FORMAT')
      }
    }
    expect(h.spy.total()).toBe(before)
    expect(h.auth.cacheStats()).toMatchObject({ positive: 0, negative: 0, inflight: 0 })
    // A checksum-valid key the store does not hold: one read, then the negative cache.
    const unknown = generateApiKey('nobody')
    expect(await codeOf(() => h.auth.verifyKey(unknown))).toBe('KEY_NOT_FOUND')
    expect(h.spy.calls.findByHash).toBe(1)
    expect(h.auth.cacheStats().negative).toBe(1)
    expect(await codeOf(() => h.auth.verifyKey(unknown))).toBe('KEY_NOT_FOUND')
    expect(h.spy.calls.findByHash).toBe(1)
    // The real keys were never refused into the negative cache by their damaged siblings.
    for (const good of [user.key, org.key, svc.key]) {
      expect(await codeOf(() => h.auth.verifyKey(good))).toBe('resolved')
    }
    expect(h.spy.calls.findByHash).toBe(4)
    await h.auth.close()
  })
})

// Records every `verified` call; the other hooks pass through.
function recordingTelemetry(): {
  telemetry: AuthTelemetry
  seen: { outcome: string; source: VerificationSource; storeMs: number }[]
} {
  const seen: { outcome: string; source: VerificationSource; storeMs: number }[] = []
  const telemetry: AuthTelemetry = {
    verified: (outcome, source, storeMs) => {
      seen.push({ outcome, source, storeMs })
    },
    operation: (_name, run) => run(),
    storeCall: () => undefined,
    revocationPropagated: () => undefined,
    attach: () => undefined,
  }
  return { telemetry, seen }
}

describe('where a refusal came from (telemetry source), and the header fast path', () => {
  it('names hit, miss, negative and none for refusals, with a store time only for a read', async () => {
    const { telemetry, seen } = recordingTelemetry()
    const h = setup({ telemetry })
    const { key } = await h.issue({ scopes: ['models:read'] })
    await h.auth.verifyKey(key) // a miss, then cached
    seen.length = 0
    const last = (): { outcome: string; source: VerificationSource; storeMs: number } | undefined =>
      seen.at(-1)
    expect(await codeOf(() => h.auth.verifyKey(key, { scopes: ['admin'] }))).toBe(
      'INSUFFICIENT_SCOPE',
    )
    expect(last()).toMatchObject({ outcome: 'INSUFFICIENT_SCOPE', source: 'hit' })
    expect(Number.isNaN(last()?.storeMs)).toBe(true)
    expect(await codeOf(() => h.auth.authenticate(undefined))).toBe('MISSING_AUTH')
    expect(last()).toMatchObject({ outcome: 'MISSING_AUTH', source: 'none' })
    expect(await codeOf(() => h.auth.verifyKey('not a key'))).toBe('INVALID_FORMAT')
    expect(last()).toMatchObject({ outcome: 'INVALID_FORMAT', source: 'none' })
    const unknown = generateApiKey('nobody')
    expect(await codeOf(() => h.auth.verifyKey(unknown))).toBe('KEY_NOT_FOUND')
    expect(last()).toMatchObject({ outcome: 'KEY_NOT_FOUND', source: 'miss' })
    // The store read's duration: small and not negative (not `now + startedAt`).
    expect(last()?.storeMs).toBeGreaterThanOrEqual(0)
    expect(last()?.storeMs).toBeLessThan(60_000)
    expect(await codeOf(() => h.auth.verifyKey(unknown))).toBe('KEY_NOT_FOUND')
    expect(last()).toMatchObject({ outcome: 'KEY_NOT_FOUND', source: 'negative' })
    await h.auth.close()
  })

  it('a failure while looking up a well-formed key is reported with source none', async () => {
    const { telemetry, seen } = recordingTelemetry()
    let broken = false
    const clock = createClock()
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      now: () => (broken ? Number.NaN : clock.now()),
      logger: createLogSink().logger,
      telemetry,
    })
    const created = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(created.key)
    broken = true
    const error = await errorOf(() => auth.verifyKey(created.key))
    expect(error).toBeInstanceOf(AuthError)
    expect(seen.at(-1)?.source).toBe('none')
    auth.close()
  })

  it('reads only an exact "Bearer " head as the fast path; other spellings are parsed', async () => {
    const h = setup()
    const { key } = await h.issue()
    // Seven characters that are not "Bearer ": never read as a key.
    for (const head of ['Token: ', 'Basic: ', 'xxxxxxx']) {
      expect(await codeOf(() => h.auth.authenticate(`${head}${key}`))).toBe('INVALID_FORMAT')
    }
    // The scheme is case-insensitive (RFC 9110): parsed, then verified.
    expect(await codeOf(() => h.auth.authenticate(`bearer ${key}`))).toBe('resolved')
    expect(await codeOf(() => h.auth.authenticate(`BEARER ${key}`))).toBe('resolved')
    // A fast-path token that is not a key is parsed for its reason.
    const error = await errorOf(() => h.auth.authenticate('Bearer a b'))
    expect(error).toMatchObject({ code: 'INVALID_FORMAT', reason: 'malformed_header' })
    await h.auth.close()
  })

  it('authenticate carries its same-turn form, which answers a cached key synchronously', async () => {
    const h = setup()
    const { key } = await h.issue()
    await h.auth.verifyKey(key)
    const now = authenticateNowOf(h.auth.authenticate)
    expect(now).toBeTypeOf('function')
    const answer = now?.(`Bearer ${key}`)
    expect(answer).not.toBeInstanceOf(Promise)
    expect(answer).toMatchObject({ userId: 'u123' })
    await h.auth.close()
  })
})

describe('expiry on a cached key, with and without clock tolerance', () => {
  it('a cached key that expires while cached is KEY_EXPIRED; within the tolerance a disabled key stays KEY_DISABLED', async () => {
    const clock = createClock()
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      now: clock.now,
      logger: createLogSink().logger,
      clockToleranceMs: 60_000,
    })
    const issue = async (): Promise<{ key: string; id: string }> => {
      const created = await auth.createKey({ userId: 'u1', name: 'k', expiresInDays: 1 })
      registerKey(created.key)
      return { key: created.key, id: created.id }
    }
    const plain = await issue()
    const disabled = await issue()
    await auth.disableKey({ userId: 'u1', keyId: disabled.id })
    clock.advance(DAY - 5_000)
    expect(await codeOf(() => auth.verifyKey(plain.key))).toBe('resolved')
    // 30 s past expiresAt: inside the 60 s tolerance.
    clock.advance(35_000)
    expect(await codeOf(() => auth.verifyKey(plain.key))).toBe('resolved')
    expect(await codeOf(() => auth.verifyKey(disabled.key))).toBe('KEY_DISABLED')
    // 61 s past: expired, on a hit as on a miss.
    clock.advance(31_000)
    expect(await codeOf(() => auth.verifyKey(plain.key))).toBe('KEY_EXPIRED')
    expect(await codeOf(() => auth.verifyKey(disabled.key))).toBe('KEY_EXPIRED')
    auth.close()
  })
})

describe('refusals of a known key count in its usage', () => {
  it('a refused cached key counts its refusal code; an unknown key counts nowhere', async () => {
    const h = setup({ usageStore: new MemoryUsageStore() })
    const { key, id } = await h.issue({ scopes: ['models:read'] })
    await h.auth.verifyKey(key)
    expect(await codeOf(() => h.auth.verifyKey(key, { scopes: ['admin'] }))).toBe(
      'INSUFFICIENT_SCOPE',
    )
    expect(await codeOf(() => h.auth.verifyKey(generateApiKey('nobody')))).toBe('KEY_NOT_FOUND')
    await h.auth.flushUsage()
    const report = await h.auth.usage({
      keyId: id,
      from: new Date(h.clock.time - 60_000),
      to: new Date(h.clock.time + 60_000),
    })
    expect(report.byOutcome).toEqual({ OK: 1, INSUFFICIENT_SCOPE: 1 })
    await h.auth.close()
  })
})
