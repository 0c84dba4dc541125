/**
 * The store methods of pepper rotation, guarded (`src/service/guarded-digests.ts`), written
 * against surviving mutants (docs/testing.md, mutation testing): `findByHashes` answering
 * nothing, a record of another digest or owner, counts that are not counts, and a failed
 * re-keying.
 */
import { describe, expect, it } from 'vitest'
import {
  type ApiKeyRecord,
  type AuthTelemetry,
  createApiKeyAuth,
  type KeyStore,
  MemoryKeyStore,
} from '../../src/index.js'
import { createLogSink } from '../support/log-sink.js'
import { registerKey, registerSecret } from '../support/secret-scan.js'
import { codeOf, errorOf } from '../support/setup.js'

const OLD = 'old pepper: 0123456789abcdefghijklmnopqrstuv'
const NEW = 'new pepper: ZYXWVUTSRQPONMLKJIHGFEDCBA987654'
const RING = { current: { id: 'p2', secret: NEW }, previous: [{ id: 'p1', secret: OLD }] }

// A key stored under the previous pepper, and a store over it with findByHashes overridable.
async function oldKey(): Promise<{ key: string; id: string; memory: MemoryKeyStore }> {
  registerSecret(OLD)
  registerSecret(NEW)
  const memory = new MemoryKeyStore()
  const before = createApiKeyAuth({
    store: memory,
    pepper: { current: { id: 'p1', secret: OLD } },
    logger: false,
  })
  const { key, id } = await before.createKey({ userId: 'u1', name: 'k' })
  registerKey(key)
  await before.close()
  return { key, id, memory }
}

function over(memory: MemoryKeyStore, extra: Partial<KeyStore>): KeyStore {
  return {
    insert: (r) => memory.insert(r),
    findByHash: (h) => memory.findByHash(h),
    listByUser: (u) => memory.listByUser(u),
    revoke: (k, u, at) => memory.revoke(k, u, at),
    findByHashes: (hs) => memory.findByHashes(hs),
    ...extra,
  }
}

describe('findByHashes, guarded', () => {
  it('no record is KEY_NOT_FOUND; another digest is a 503 naming hash; another owner is not found, logged', async () => {
    const { key, id, memory } = await oldKey()
    const logs = createLogSink()
    const none = createApiKeyAuth({
      store: over(memory, { findByHashes: async () => null }),
      pepper: RING,
      logger: logs.logger,
    })
    expect(await codeOf(() => none.verifyKey(key))).toBe('KEY_NOT_FOUND')
    expect(logs.lines).toEqual([])
    const [record] = memory.snapshot() as [ApiKeyRecord]
    const wrong = createApiKeyAuth({
      store: over(memory, {
        findByHashes: async () => ({ ...record, hash: `p1$${'0'.repeat(64)}` }),
      }),
      pepper: RING,
      logger: logs.logger,
    })
    expect(await errorOf(() => wrong.verifyKey(key))).toMatchObject({
      code: 'AUTH_UNAVAILABLE',
      reason: 'corrupt_record',
    })
    expect(logs.lines.at(-1)).toMatchObject({
      message: 'store returned a corrupt record',
      context: { field: 'hash', keyId: id },
    })
    const foreign = createApiKeyAuth({
      store: over(memory, { findByHashes: async () => ({ ...record, userId: 'u2' }) }),
      pepper: RING,
      logger: logs.logger,
    })
    expect(await codeOf(() => foreign.verifyKey(key))).toBe('KEY_NOT_FOUND')
    expect(logs.lines.at(-1)).toEqual({
      level: 'error',
      message: 'stored owner differs from the key',
      context: { keyId: id },
    })
    await Promise.all([none.close(), wrong.close(), foreign.close()])
  })
})

describe('pepperStatus counts', () => {
  it('counts that are not non-negative integers per version are a 503', async () => {
    const memory = new MemoryKeyStore()
    let answer: unknown
    const store = over(memory, {
      countDigestVersions: async () => answer as Record<string, number>,
    })
    const auth = createApiKeyAuth({ store, pepper: RING, logger: false })
    for (const bad of [null, 'p1', 3, { p1: -1 }, { p1: 1.5 }, { p1: '2' }, { p1: 2, p2: -1 }]) {
      answer = bad
      expect(await errorOf(() => auth.pepperStatus())).toMatchObject({
        code: 'AUTH_UNAVAILABLE',
        reason: 'corrupt_record',
      })
    }
    answer = { p1: 0, p2: 3 }
    expect((await auth.pepperStatus()).records).toEqual({ p1: 0, p2: 3 })
    await auth.close()
  })
})

describe('re-keying to the current pepper', () => {
  it('moves a record found under an older pepper; a failed re-key is a warning only', async () => {
    const { key, memory } = await oldKey()
    const auth = createApiKeyAuth({ store: memory, pepper: RING, logger: false })
    await auth.verifyKey(key)
    await new Promise((resolve) => setImmediate(resolve))
    expect(memory.snapshot()[0]?.hash.startsWith('p2$')).toBe(true)
    await auth.close()

    const again = await oldKey()
    const logs = createLogSink()
    const failing = createApiKeyAuth({
      store: over(again.memory, { rehash: async () => Promise.reject(new Error('read-only')) }),
      pepper: RING,
      logger: logs.logger,
    })
    expect((await failing.verifyKey(again.key)).keyId).toBe(again.id)
    await new Promise((resolve) => setImmediate(resolve))
    expect(logs.lines).toEqual([
      {
        level: 'warn',
        message: 're-keying to the current pepper failed',
        context: { keyId: again.id, error: expect.stringContaining('read-only') as string },
      },
    ])
    await failing.close()
  })
})

describe('findByHashes and re-keying, continued', () => {
  const liveTimers = (): number =>
    process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
  const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

  it('a store without findByHashes or rehash: lookups one digest at a time, no re-keying, no warning', async () => {
    const { key, id, memory } = await oldKey()
    const logs = createLogSink()
    const store = over(memory, {})
    delete store.findByHashes
    const auth = createApiKeyAuth({ store, pepper: RING, logger: logs.logger })
    expect((await auth.verifyKey(key)).keyId).toBe(id)
    await settle(10)
    expect(memory.snapshot()[0]?.hash.startsWith('p1$')).toBe(true)
    expect(logs.lines).toEqual([])
    await auth.close()
  })

  it('a corrupt answer logs the id only when it is a string (or none when there is no record)', async () => {
    const { key, memory } = await oldKey()
    const [record] = memory.snapshot() as [ApiKeyRecord]
    const logs = createLogSink()
    for (const answer of [{ ...record, id: 42 }, undefined]) {
      const auth = createApiKeyAuth({
        store: over(memory, { findByHashes: async () => answer as unknown as ApiKeyRecord }),
        pepper: RING,
        logger: logs.logger,
      })
      expect(await codeOf(() => auth.verifyKey(key))).toBe('AUTH_UNAVAILABLE')
      expect(logs.lines.at(-1)?.context).toMatchObject({ keyId: undefined })
      expect(logs.lines.at(-1)?.context?.['field']).toEqual(expect.any(String))
      await auth.close()
    }
  })

  it('re-keying has five store deadlines and its own timeout error, in the background', async () => {
    const slow = await oldKey()
    const logs = createLogSink()
    // 60 ms: past a fifth of the 100 ms deadline, well within five of them.
    const auth = createApiKeyAuth({
      store: over(slow.memory, {
        rehash: async (id, from, to) => {
          await settle(60)
          return slow.memory.rehash(id, from, to)
        },
      }),
      pepper: RING,
      storeTimeoutMs: 100,
      logger: logs.logger,
    })
    await auth.verifyKey(slow.key)
    await settle(150)
    expect(logs.lines).toEqual([])
    expect(slow.memory.snapshot()[0]?.hash.startsWith('p2$')).toBe(true)
    await auth.close()

    const hung = await oldKey()
    let release: () => void = () => {}
    const hanging = createApiKeyAuth({
      store: over(hung.memory, {
        rehash: () =>
          new Promise<boolean>((resolve) => {
            release = () => resolve(false)
          }),
      }),
      pepper: RING,
      storeTimeoutMs: 10,
      logger: logs.logger,
    })
    const before = liveTimers()
    await hanging.verifyKey(hung.key)
    // The re-key's deadline timer does not hold the process open.
    expect(liveTimers()).toBe(before)
    await settle(120)
    expect(logs.lines).toEqual([
      {
        level: 'warn',
        message: 're-keying to the current pepper failed',
        context: { keyId: hung.id, error: expect.stringContaining('timed out') as string },
      },
    ])
    release()
    await hanging.close()
  })

  it('telemetry names the rotation calls', async () => {
    const { key, memory } = await oldKey()
    const operations: string[] = []
    const telemetry: AuthTelemetry = {
      verified: () => {},
      operation: (_name, run) => run(),
      storeCall: (operation) => void operations.push(operation),
      revocationPropagated: () => {},
      attach: () => {},
    }
    const auth = createApiKeyAuth({ store: memory, pepper: RING, telemetry, logger: false })
    await auth.verifyKey(key)
    await auth.pepperStatus()
    expect(operations).toEqual(['findByHashes', 'countDigestVersions'])
    await auth.close()
  })
})
