/**
 * The guarded store, written against surviving mutants (docs/testing.md, mutation testing): how
 * a 0.1 store is called (no trailing arguments it does not know), the audit argument of a store
 * that is also the audit store, a revoke answered with `null`, unsound limits, the environment
 * filter of `list`, telemetry of store calls, the listener gauge, and the push check.
 */
import { describe, expect, it } from 'vitest'
import {
  type ApiKeyRecord,
  type AuditQuery,
  type AuditRecord,
  type AuthTelemetry,
  type KeyStore,
  type TelemetryView,
  createApiKeyAuth,
  MemoryAuditStore,
  MemoryKeyStore,
} from '../../src/index.js'
import { createLogSink } from '../support/log-sink.js'
import { registerKey, registerSecret } from '../support/secret-scan.js'
import { codeOf, errorOf, recordFor, setup } from '../support/setup.js'

// A 0.1-shaped store over a memory store that records how many arguments each write received.
function countingStore(memory = new MemoryKeyStore()): {
  store: KeyStore
  arity: { insert: number[]; revoke: number[] }
} {
  const arity = { insert: [] as number[], revoke: [] as number[] }
  const store: KeyStore = {
    insert: (...args: unknown[]) => {
      arity.insert.push(args.length)
      return memory.insert(args[0] as ApiKeyRecord)
    },
    findByHash: (h) => memory.findByHash(h),
    listByUser: (u) => memory.listByUser(u),
    revoke: (...args: unknown[]) => {
      arity.revoke.push(args.length)
      const [keyId, userId, at, reason] = args as [string, string, Date, string | undefined]
      return memory.revoke(keyId, userId, at, reason)
    },
  }
  return { store, arity }
}

describe('a store that is not the audit store is called as a 0.1 store', () => {
  it('insert gets the record alone; revoke three arguments, four with a reason', async () => {
    const { store, arity } = countingStore()
    const auth = createApiKeyAuth({ store, logger: false })
    const a = await auth.createKey({ userId: 'u1', name: 'a' })
    const b = await auth.createKey({ userId: 'u1', name: 'b' })
    registerKey(a.key)
    registerKey(b.key)
    await auth.revokeKey({ userId: 'u1', keyId: a.id })
    await auth.revokeKey({ userId: 'u1', keyId: b.id, reason: 'leaked' })
    expect(arity).toEqual({ insert: [1, 1], revoke: [3, 4] })
    // Without an audit store the log is off, and the reason still reaches the store.
    expect((await auth.listKeys('u1')).map((k) => [k.name, k.revokedReason])).toEqual([
      ['a', null],
      ['b', 'leaked'],
    ])
    await auth.close()
  })

  it('with a separate audit store too: the key store never receives the records', async () => {
    const { store, arity } = countingStore()
    const auditStore = new MemoryAuditStore()
    const auth = createApiKeyAuth({ store, auditStore, logger: false })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'a' })
    registerKey(key)
    await auth.revokeKey({ userId: 'u1', keyId: id })
    expect(arity).toEqual({ insert: [1], revoke: [3] })
    const { events } = await auth.listEvents({ userId: 'u1', keyId: id })
    expect(events.map((e) => e.action)).toEqual(['revoked', 'created'])
    await auth.close()
  })
})

describe('a store that is also the audit store gets the records with the change', () => {
  it('insert and revoke carry the audit write, which the store keeps', async () => {
    const memory = new MemoryKeyStore()
    const audit = new MemoryAuditStore()
    const arity = { insert: [] as number[], revoke: [] as number[] }
    // One object, both ports: the service hands it the records to write in the change's step.
    const both: KeyStore & {
      appendAudit: (r: readonly AuditRecord[]) => Promise<void>
      listAudit: (q: AuditQuery) => Promise<AuditRecord[]>
    } = {
      insert: async (...args: unknown[]) => {
        arity.insert.push(args.length)
        await memory.insert(args[0] as ApiKeyRecord)
        if (args[1] !== undefined) await audit.appendAudit(args[1] as AuditRecord[])
      },
      findByHash: (h) => memory.findByHash(h),
      listByUser: (u) => memory.listByUser(u),
      revoke: async (...args: unknown[]) => {
        arity.revoke.push(args.length)
        const [keyId, userId, at, reason, write] = args as [
          string,
          string,
          Date,
          string | undefined,
          AuditRecord[] | undefined,
        ]
        const before = (await memory.listByUser(userId)).find((r) => r.id === keyId)
        const record = await memory.revoke(keyId, userId, at, reason)
        if (record !== null && before?.revokedAt === null && write !== undefined) {
          await audit.appendAudit(write)
        }
        return record
      },
      appendAudit: (r) => audit.appendAudit(r),
      listAudit: (q) => audit.listAudit(q),
    }
    const auth = createApiKeyAuth({ store: both, auditStore: both, logger: false })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'a' })
    registerKey(key)
    await auth.revokeKey({ userId: 'u1', keyId: id })
    expect(arity).toEqual({ insert: [2], revoke: [5] })
    const { events } = await auth.listEvents({ userId: 'u1', keyId: id })
    expect(events.map((e) => e.action)).toEqual(['revoked', 'created'])
    await auth.close()
  })
})

describe('answers of the store', () => {
  it('a revoke answered with null (the key went away meanwhile) is KEY_NOT_FOUND, not a 503', async () => {
    const memory = new MemoryKeyStore()
    const store: KeyStore = {
      insert: (r) => memory.insert(r),
      findByHash: (h) => memory.findByHash(h),
      listByUser: (u) => memory.listByUser(u),
      revoke: async () => null,
    }
    const logs = createLogSink()
    const auth = createApiKeyAuth({ store, logger: logs.logger })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'a' })
    registerKey(key)
    expect(await codeOf(() => auth.revokeKey({ userId: 'u1', keyId: id }))).toBe('KEY_NOT_FOUND')
    expect(logs.count('error')).toBe(0)
    await auth.close()
  })

  it('list returns only the keys of this environment from a shared store', async () => {
    const memory = new MemoryKeyStore()
    const live = createApiKeyAuth({ store: memory, environment: 'live', logger: false })
    const test = createApiKeyAuth({ store: memory, environment: 'test', logger: false })
    const a = await live.createKey({ userId: 'u1', name: 'live key' })
    const b = await test.createKey({ userId: 'u1', name: 'test key' })
    registerKey(a.key)
    registerKey(b.key)
    expect((await live.listKeys('u1')).map((k) => k.name)).toEqual(['live key'])
    expect((await test.listKeys('u1')).map((k) => k.name)).toEqual(['test key'])
    // …and a key of the other environment is unknown to revokeKey.
    expect(await codeOf(() => test.revokeKey({ userId: 'u1', keyId: a.id }))).toBe('KEY_NOT_FOUND')
    await live.close()
    await test.close()
  })
})

describe('usage limits stored with a record', () => {
  it('null limits are no limits; limits that fail the schema fail closed, naming the field', async () => {
    const logs = createLogSink()
    const issuer = createApiKeyAuth({ store: new MemoryKeyStore(), logger: false })
    const { key } = await issuer.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    // Records as another tool may have written them (plain SHA-256 digests, no pepper).
    const nullStore = new MemoryKeyStore()
    const record = recordFor(key, { limits: null })
    await nullStore.insert(record)
    const withNull = createApiKeyAuth({ store: nullStore, logger: logs.logger })
    expect((await withNull.verifyKey(key)).keyId).toBe(record.id)
    const badStore = new MemoryKeyStore()
    await badStore.insert(recordFor(key, { limits: { requests: 'lots' } }))
    const withBad = createApiKeyAuth({ store: badStore, logger: logs.logger })
    const error = await errorOf(() => withBad.verifyKey(key))
    expect(error).toMatchObject({ code: 'AUTH_UNAVAILABLE', reason: 'corrupt_record' })
    expect(logs.lines.at(-1)).toMatchObject({
      level: 'error',
      message: 'store returned a corrupt record',
      context: { field: 'limits' },
    })
    await Promise.all([issuer.close(), withNull.close(), withBad.close()])
  })
})

describe('pepper rotation lookups (findByHashes)', () => {
  const OLD = 'old pepper: 0123456789abcdefghijklmnopqrstuv'
  const NEW = 'new pepper: ZYXWVUTSRQPONMLKJIHGFEDCBA987654'

  it('find a key stored under the previous pepper in one call; unsound limits there fail closed', async () => {
    registerSecret(OLD)
    registerSecret(NEW)
    const memory = new MemoryKeyStore()
    const before = createApiKeyAuth({
      store: memory,
      pepper: { current: { id: 'p1', secret: OLD } },
      logger: false,
    })
    const { id, key } = await before.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    const ring = { current: { id: 'p2', secret: NEW }, previous: [{ id: 'p1', secret: OLD }] }
    const logs = createLogSink()
    const after = createApiKeyAuth({ store: memory, pepper: ring, logger: logs.logger })
    expect((await after.verifyKey(key)).keyId).toBe(id)
    // The same record with limits the schema refuses, found through findByHashes.
    const [stored] = memory.snapshot()
    const bad = new MemoryKeyStore()
    await bad.insert({ ...stored, limits: { requests: 'lots' } } as unknown as ApiKeyRecord)
    const withBad = createApiKeyAuth({ store: bad, pepper: ring, logger: logs.logger })
    expect(await errorOf(() => withBad.verifyKey(key))).toMatchObject({
      code: 'AUTH_UNAVAILABLE',
      reason: 'corrupt_record',
    })
    expect(logs.lines.at(-1)).toMatchObject({
      message: 'store returned a corrupt record',
      context: { field: 'limits', keyId: id },
    })
    await Promise.all([before.close(), after.close(), withBad.close()])
  })

  it('a pushed invalidation that is not a string is ignored, a digest still evicts', async () => {
    registerSecret(NEW)
    let push: ((digest: string) => void) | undefined
    class PushingStore extends MemoryKeyStore {
      override onInvalidate(listener: (hash: string) => void): () => void {
        push = listener
        return super.onInvalidate(listener)
      }
    }
    const memory = new PushingStore()
    const auth = createApiKeyAuth({
      store: memory,
      pepper: { current: { id: 'p2', secret: NEW } },
      logger: false,
    })
    const { key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    await auth.verifyKey(key)
    expect(auth.cacheStats().positive).toBe(1)
    expect(() => push?.(42 as unknown as string)).not.toThrow()
    expect(auth.cacheStats().positive).toBe(1)
    push?.(memory.snapshot()[0]?.hash ?? '')
    expect(auth.cacheStats().positive).toBe(0)
    await auth.close()
  })
})

describe('telemetry of store calls', () => {
  function recorder(): {
    telemetry: AuthTelemetry
    calls: [string, number, string][]
    view: () => TelemetryView | undefined
  } {
    const calls: [string, number, string][] = []
    let view: TelemetryView | undefined
    return {
      calls,
      view: () => view,
      telemetry: {
        verified: () => {},
        operation: (_name, run) => run(),
        storeCall: (operation, durationMs, outcome) =>
          void calls.push([operation, durationMs, outcome]),
        revocationPropagated: () => {},
        attach: (v) => {
          view = v
        },
      },
    }
  }

  it('each call is reported with its operation, a duration within the call and its outcome', async () => {
    const r = recorder()
    const memory = new MemoryKeyStore()
    let failing = false
    const store: KeyStore = {
      insert: (rec) => memory.insert(rec),
      findByHash: (h) => memory.findByHash(h),
      listByUser: (u) => (failing ? Promise.reject(new Error('down')) : memory.listByUser(u)),
      revoke: (k, u, at) => memory.revoke(k, u, at),
    }
    const auth = createApiKeyAuth({ store, telemetry: r.telemetry, logger: false })
    const t0 = performance.now()
    const { key } = await auth.createKey({ userId: 'u1', name: 'k' })
    const elapsed = performance.now() - t0
    registerKey(key)
    expect(r.calls.map(([op, , outcome]) => [op, outcome])).toEqual([
      ['listByUser', 'OK'],
      ['insert', 'OK'],
    ])
    for (const [, ms] of r.calls) {
      expect(ms).toBeGreaterThanOrEqual(0)
      expect(ms).toBeLessThanOrEqual(elapsed)
    }
    r.calls.length = 0
    failing = true
    const t1 = performance.now()
    expect(await codeOf(() => auth.listKeys('u1'))).toBe('AUTH_UNAVAILABLE')
    const failedWithin = performance.now() - t1
    expect(r.calls).toEqual([['listByUser', expect.any(Number), 'AUTH_UNAVAILABLE']])
    expect(r.calls[0]?.[1]).toBeGreaterThanOrEqual(0)
    expect(r.calls[0]?.[1]).toBeLessThanOrEqual(failedWithin)
    await auth.close()
  })

  it("the listener gauge is the store's boolean, else undefined (absent, not a boolean, throwing)", async () => {
    const answers: unknown[] = [true, false, 'yes', undefined]
    let answer: unknown
    class Reporting extends MemoryKeyStore {
      listenerConnected(): boolean {
        if (answer instanceof Error) throw answer
        return answer as boolean
      }
    }
    const r = recorder()
    const auth = createApiKeyAuth({ store: new Reporting(), telemetry: r.telemetry, logger: false })
    const seen: unknown[] = []
    for (const a of [...answers, new Error('listener state unknown')]) {
      answer = a
      seen.push(r.view()?.listenerConnected())
    }
    expect(seen).toEqual([true, false, undefined, undefined, undefined])
    const plain = recorder()
    const other = createApiKeyAuth({
      store: new MemoryKeyStore(),
      telemetry: plain.telemetry,
      logger: false,
    })
    expect(plain.view()?.listenerConnected()).toBeUndefined()
    await Promise.all([auth.close(), other.close()])
  })
})

describe('stores and their push of changes', () => {
  const base = (memory: MemoryKeyStore): KeyStore => ({
    insert: (r) => memory.insert(r),
    findByHash: (h) => memory.findByHash(h),
    listByUser: (u) => memory.listByUser(u),
    revoke: (k, u, at) => memory.revoke(k, u, at),
  })

  it('a store that pushes nothing may implement the lifecycle writes (one instance)', async () => {
    const memory = new MemoryKeyStore()
    const store: KeyStore = {
      ...base(memory),
      setDisabled: (k, u, at) => memory.setDisabled(k, u, at),
    }
    const auth = createApiKeyAuth({ store, logger: false })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    await auth.disableKey({ userId: 'u1', keyId: id })
    expect(await codeOf(() => auth.verifyKey(key))).toBe('KEY_DISABLED')
    await auth.close()
  })

  it('one that pushes revocations only, with lifecycle writes, is refused with the methods named', async () => {
    const memory = new MemoryKeyStore()
    const store: KeyStore = {
      ...base(memory),
      onRevoke: (l) => memory.onRevoke(l),
      setDisabled: (k, u, at) => memory.setDisabled(k, u, at),
      update: (k, u, patch, expected) => memory.update(k, u, patch, expected),
    }
    const error = await errorOf(() => createApiKeyAuth({ store, logger: false }))
    expect(error).toMatchObject({
      code: 'CONFIGURATION_ERROR',
      message:
        'The store implements setDisabled, update and pushes revocations (onRevoke) but not invalidations: implement onInvalidate',
    })
  })
})

describe('lastUsedAt writes are fire and forget', () => {
  // Timers that keep the event loop alive (Node lists only referenced ones).
  const liveTimers = (): number =>
    process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

  it('a hanging touch neither delays the verification nor keeps the process alive', async () => {
    const h = setup({ storeTimeoutMs: 60_000 })
    const { key } = await h.issue()
    h.spy.behave.touch = { kind: 'defer' }
    const before = liveTimers()
    await h.auth.verifyKey(key)
    expect(h.spy.pending('touch')).toBe(1)
    // The touch's deadline timer exists but does not hold the process open.
    expect(liveTimers()).toBe(before)
    await h.spy.release('touch')
    expect(h.spy.touches).toHaveLength(1)
    await h.auth.close()
  })
})
