import { afterAll, describe } from 'vitest'
import { RedisKeyStore } from '../../adapters/redis/index.js'
import { keyStoreConformance } from '../../src/testing/index.js'
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
      capabilities: { touch: true, onRevoke: true },
      dump: (store) => dump(namespaces.get(store) as string),
      cleanup: async (store) => {
        await store.close()
        const keys = await client?.keys(`${namespaces.get(store)}*`)
        if (keys !== undefined && keys.length > 0) await client?.del(...keys)
      },
    },
  )
})
