import { afterAll, describe, expect, it } from 'vitest'
import { RedisKeyStore } from '../../adapters/stores/redis/index.js'
import { createApiKeyAuth, hashApiKey } from '../../src/index.js'
import { keyStoreConformance, makeTestRecord } from '../../src/testing/index.js'
import { createLogSink } from '../support/log-sink.js'
import { makeRedis, sharedRedis, uniqueName } from './helpers.js'

const info = sharedRedis()

describe.skipIf(info === null)('RedisKeyStore', () => {
  const client = info === null ? undefined : makeRedis(info)
  const namespaces = new WeakMap<RedisKeyStore, string>()
  afterAll(() => client?.quit())

  // Every key of the namespace with its content, whatever its type.
  const dump = async (namespace: string): Promise<Record<string, unknown>> => {
    const redis = client as NonNullable<typeof client>
    const out: Record<string, unknown> = {}
    for (const key of await redis.keys(`${namespace}*`)) {
      const type = await redis.type(key)
      out[key] =
        type === 'hash'
          ? await redis.hgetall(key)
          : type === 'set'
            ? await redis.smembers(key)
            : type === 'zset'
              ? await redis.zrange(key, 0, -1)
              : await redis.get(key)
    }
    return out
  }

  keyStoreConformance(
    'RedisKeyStore',
    () => {
      const namespace = `${uniqueName('conf')}:`
      const store = new RedisKeyStore(client as NonNullable<typeof client>, { namespace })
      namespaces.set(store, namespace)
      return store
    },
    {
      capabilities: {
        touch: true,
        onRevoke: true,
        onInvalidate: true,
        roll: true,
        startRollGrace: true,
        setDisabled: true,
        update: true,
        listPage: true,
        insertCapped: true,
        revokeReason: true,
        lifecycleFields: true,
        pepperRotation: true,
      },
      dump: (store) => dump(namespaces.get(store) as string),
      cleanup: async (store) => {
        await store.close()
        const keys = await client?.keys(`${namespaces.get(store)}*`)
        if (keys !== undefined && keys.length > 0) await client?.del(...keys)
      },
    },
  )
})

describe.skipIf(info === null)('RedisKeyStore specifics', () => {
  const client = info === null ? undefined : makeRedis(info)
  const redis = (): NonNullable<typeof client> => client as NonNullable<typeof client>
  afterAll(() => client?.quit())

  it('rejects a namespace that is not a non-empty string', () => {
    for (const namespace of ['', 'x'.repeat(201), 42]) {
      expect(() => new RedisKeyStore(redis(), { namespace: namespace as string })).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      )
    }
  })

  it("warns once per client without an 'error' listener", async () => {
    const { Redis } = await import('ioredis')
    const bare = new Redis({ host: info?.host, port: info?.port })
    try {
      const log = createLogSink()
      for (let i = 0; i < 2; i++) {
        const store = new RedisKeyStore(bare, {
          namespace: `${uniqueName('lsn')}:`,
          logger: log.logger,
        })
        expect(await store.findByHash('x')).toBeNull()
      }
      const listened = new RedisKeyStore(redis(), {
        namespace: `${uniqueName('lsn')}:`,
        logger: log.logger,
      })
      await listened.ready()
      expect(log.lines).toHaveLength(1)
      expect(log.lines[0]).toMatchObject({ level: 'warn' })
      expect(log.lines[0]?.message).toMatch(/client\.on\('error'/)
    } finally {
      bare.disconnect()
    }
  })

  it('rejects a durability that is neither required nor accept-risk', () => {
    for (const durability of ['none', '', true, 'REQUIRED']) {
      expect(() => new RedisKeyStore(redis(), { durability: durability as 'required' })).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      )
    }
  })

  it('namespaces are isolated: same record in two namespaces, revoked in one only', async () => {
    const one = new RedisKeyStore(redis(), { namespace: `${uniqueName('ns')}:` })
    const two = new RedisKeyStore(redis(), { namespace: `${uniqueName('ns')}:` })
    const { record } = makeTestRecord()
    await one.insert(record)
    expect(await two.findByHash(record.hash)).toBeNull()
    await two.insert(record)
    await one.revoke(record.id, record.userId, new Date())
    expect((await one.findByHash(record.hash))?.revokedAt).not.toBeNull()
    expect((await two.findByHash(record.hash))?.revokedAt).toBeNull()
  })

  it('a damaged record (a field deleted by hand) fails closed: 503, never granted', async () => {
    const namespace = `${uniqueName('dmg')}:`
    const store = new RedisKeyStore(redis(), { namespace })
    const auth = createApiKeyAuth({ store, logger: false, cache: false })
    const created = await auth.createKey({ userId: 'dmg_user', name: 'k' })
    await auth.verifyKey(created.key)
    await redis().hdel(`${namespace}key:${hashApiKey(created.key)}`, 'revokedAt')
    await expect(auth.verifyKey(created.key)).rejects.toMatchObject({ code: 'AUTH_UNAVAILABLE' })
    await redis().hset(`${namespace}key:${hashApiKey(created.key)}`, 'scopes', '{not json')
    await expect(auth.verifyKey(created.key)).rejects.toMatchObject({ code: 'AUTH_UNAVAILABLE' })
  })
})
