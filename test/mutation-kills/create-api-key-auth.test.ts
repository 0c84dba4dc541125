/**
 * The service's wiring (`createApiKeyAuth`), written against surviving mutants (docs/testing.md,
 * mutation testing): a new key evicts a cached "no such key" answer for its digest, and the
 * failed-auth throttle is present on the service only when the option is on, and `close` stops
 * listening to the store and writes the usage counts that are left.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  createApiKeyAuth,
  MemoryKeyStore,
  MemoryLimitStore,
  MemoryUsageStore,
} from '../../src/index.js'
import { registerKey } from '../support/secret-scan.js'
import { codeOf } from '../support/setup.js'

afterEach(() => {
  vi.restoreAllMocks()
})

// Makes the next keys' random parts a fixed sequence, so that a key's string is known before
// the key exists (every byte below 62·4 = 248, so base62's rejection sampling keeps them all).
function repeatRandomness(): void {
  vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation(
    <T extends ArrayBufferView>(array: T): T => {
      const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength)
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + 11) % 248
      return array
    },
  )
}

describe('createApiKeyAuth wiring', () => {
  it('a key created after its string was refused (and the refusal cached) verifies at once', async () => {
    repeatRandomness()
    // The string the next key of u1 will have, made on a throwaway instance.
    const probe = createApiKeyAuth({ store: new MemoryKeyStore(), logger: false })
    const { key } = await probe.createKey({ userId: 'u1', name: 'probe' })
    registerKey(key)
    const auth = createApiKeyAuth({ store: new MemoryKeyStore(), logger: false })
    expect(await codeOf(() => auth.verifyKey(key))).toBe('KEY_NOT_FOUND')
    expect(auth.cacheStats().negative).toBe(1)
    const created = await auth.createKey({ userId: 'u1', name: 'k' })
    expect(created.key).toBe(key)
    expect((await auth.verifyKey(key)).keyId).toBe(created.id)
    await Promise.all([probe.close(), auth.close()])
  })

  it('failedAuthThrottle is a property of the service only with limits.failedAuth', async () => {
    const auth = createApiKeyAuth({ store: new MemoryKeyStore(), logger: false })
    expect('failedAuthThrottle' in auth).toBe(false)
    expect(Object.keys(auth)).not.toContain('failedAuthThrottle')
    await auth.close()
  })

  it('with limits.failedAuth the service has its failedAuthThrottle', async () => {
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      limits: { store: new MemoryLimitStore(), failedAuth: { limit: 4, windowMs: 60_000 } },
      logger: false,
    })
    expect('failedAuthThrottle' in auth).toBe(true)
    expect(typeof auth.failedAuthThrottle?.refusal).toBe('function')
    await auth.close()
  })

  it("close() stops listening to the store's pushes and writes the counts left", async () => {
    let listening = 0
    class CountingListeners extends MemoryKeyStore {
      override onInvalidate(listener: (hash: string) => void): () => void {
        listening++
        const stop = super.onInvalidate(listener)
        return () => {
          listening--
          stop()
        }
      }
    }
    const usageStore = new MemoryUsageStore()
    const auth = createApiKeyAuth({ store: new CountingListeners(), usageStore, logger: false })
    const { key, id } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    await auth.verifyKey(key)
    expect(listening).toBe(1)
    await auth.close()
    expect(listening).toBe(0)
    // The verification reached the usage store without a flushUsage call.
    const rows = await usageStore.readUsage(
      id,
      new Date(Date.now() - 3_600_000),
      new Date(Date.now() + 3_600_000),
    )
    expect(rows.map((r) => [r.outcome, r.count])).toEqual([['OK', 1]])
  })
})
