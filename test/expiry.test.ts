/**
 * `auth.notifyExpiring` (src/service/expiry-notifier.ts) on the memory stores: the tightest
 * threshold a key is within, once; `key.expired`; revoked, never-expiring and other
 * environments' keys left alone; options checked; failures fail closed.
 */
import { describe, expect, it } from 'vitest'
import {
  createApiKeyAuth,
  MemoryExpiryStore,
  MemoryKeyStore,
  type ExpiryStore,
} from '../src/index.js'
import { parseEvent } from './support/event-schemas.js'
import { createClock } from './support/clock.js'
import { createLogSink } from './support/log-sink.js'
import { registerKey } from './support/secret-scan.js'

const DAY = 86_400_000

function service(environment = 'live', keys = new MemoryKeyStore(), clock = createClock()) {
  const logs = createLogSink()
  const auth = createApiKeyAuth({
    store: keys,
    expiryStore: new MemoryExpiryStore(keys),
    environment,
    now: clock.now,
    logger: logs.logger,
  })
  return { auth, keys, clock, logs }
}

describe('notifyExpiring', () => {
  it('warns at the tightest threshold a key is within, once, and returns what it emitted', async () => {
    const { auth, clock } = service()
    const events: unknown[] = []
    auth.on('key.expiring', (e) => void events.push(e))
    auth.on('key.expired', (e) => void events.push(e))
    const soon = await auth.createKey({ userId: 'u1', name: 'soon', expiresInDays: 1 })
    const later = await auth.createKey({ userId: 'u1', name: 'later', expiresInDays: 30 })
    registerKey(soon.key)
    registerKey(later.key)
    clock.advance(60_000)
    const first = await auth.notifyExpiring({ within: ['1d', '14d'] })
    expect(first).toEqual([
      {
        keyId: soon.id,
        userId: 'u1',
        keyPrefix: soon.keyPrefix,
        expiresAt: soon.apiKey.expiresAt,
        notice: '1d',
      },
    ])
    expect(await auth.notifyExpiring({ within: ['1d', '14d'] })).toEqual([])
    clock.advance(2 * DAY)
    expect((await auth.notifyExpiring({ within: ['14d', '1d'] })).map((n) => n.notice)).toEqual([
      'expired',
    ])
    expect(
      (await auth.notifyExpiring({ within: ['14d'], expired: false })).map((n) => n.notice),
    ).toEqual([])
    clock.advance(17 * DAY)
    expect((await auth.notifyExpiring({ within: ['14d'] })).map((n) => n.keyId)).toEqual([later.id])
    await new Promise((resolve) => setImmediate(resolve))
    for (const event of events) parseEvent(event)
    expect(events.map((e) => (e as { type: string }).type)).toEqual([
      'key.expiring',
      'key.expired',
      'key.expiring',
    ])
    expect(events[0]).toMatchObject({ threshold: '1d', actor: { type: 'system' } })
  })

  it('skips revoked keys, keys that never expire, and keys of another environment', async () => {
    const keys = new MemoryKeyStore()
    const clock = createClock()
    const live = service('live', keys, clock)
    const test = service('test', keys, clock)
    const revoked = await live.auth.createKey({ userId: 'u1', name: 'r', expiresInDays: 1 })
    await live.auth.revokeKey({ userId: 'u1', keyId: revoked.id })
    await live.auth.createKey({ userId: 'u1', name: 'forever' })
    const other = await test.auth.createKey({ userId: 'u1', name: 't', expiresInDays: 1 })
    for (const k of [revoked, other]) registerKey(k.key)
    expect(await live.auth.notifyExpiring({ within: ['14d'] })).toEqual([])
    expect((await test.auth.notifyExpiring({ within: ['14d'] })).map((n) => n.keyId)).toEqual([
      other.id,
    ])
  })

  it('checks its options, needs an expiry store, and fails closed on a store error', async () => {
    const { auth } = service()
    for (const bad of [
      {},
      { within: [] },
      { within: ['14'] },
      { within: ['0d'] },
      { within: ['367d'] },
      { within: ['1d'], limit: 0 },
      { within: ['1d'], expired: 'yes' },
      null,
    ]) {
      await expect(auth.notifyExpiring(bad as never)).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
      })
    }
    const none = createApiKeyAuth({ store: new MemoryKeyStore(), logger: false })
    await expect(none.notifyExpiring({ within: ['1d'] })).rejects.toMatchObject({
      code: 'CONFIGURATION_ERROR',
    })
    const broken: ExpiryStore = {
      listExpiring: () => Promise.reject(new Error('connection refused')),
      claimNotice: () => Promise.resolve(true),
    }
    const logs = createLogSink()
    const failing = createApiKeyAuth({
      store: new MemoryKeyStore(),
      expiryStore: broken,
      logger: logs.logger,
    })
    await expect(failing.notifyExpiring({ within: ['1d'] })).rejects.toMatchObject({
      code: 'AUTH_UNAVAILABLE',
      reason: 'store_error',
    })
    expect(logs.lines.map((l) => l.message)).toContain('expiry store listExpiring failed')
    expect(() =>
      createApiKeyAuth({ store: new MemoryKeyStore(), expiryStore: {} as never }),
    ).toThrow(/expiryStore/)
  })
})
