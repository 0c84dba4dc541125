/** `redis://…` for the CLI: a client that does not retry forever, the store and its channel. */
import { Redis } from 'ioredis'
import { RedisKeyStore } from '../../stores/redis/index.js'
import { CliError, EXIT } from '../errors.js'
import type { OpenStore, OpenStoreOptions } from '../open-store.js'
import { takeParams } from './url-params.js'

/** Opens a Redis store (`?namespace=` and `?durability=accept-risk` as the store's options). */
export async function open(url: string, options: OpenStoreOptions): Promise<OpenStore> {
  const { rest, params } = takeParams(url, ['namespace', 'durability'])
  const durability = params.durability ?? 'required'
  if (durability !== 'required' && durability !== 'accept-risk') {
    throw new CliError(
      EXIT.usage,
      "The store URL's durability must be required or accept-risk",
      'BAD_STORE_URL',
    )
  }
  const client = new Redis(rest, {
    lazyConnect: true,
    connectTimeout: options.timeoutMs,
    maxRetriesPerRequest: 1,
    // A command, not a server: one failed connection ends it (exit 3) instead of retrying.
    retryStrategy: () => null,
  })
  client.on('error', () => {})
  const store = new RedisKeyStore(client, {
    namespace: params.namespace,
    durability,
    logger: false,
  })
  return {
    kind: 'redis',
    store,
    ping: async () => {
      await client.ping()
    },
    migrate: async () => {
      await store.ready()
      return 'Redis needs no schema; the server accepts the store (persistence checked)'
    },
    checkSchema: async () => {
      await store.ready()
      return {}
    },
    announce: async (hash) => {
      await client.publish(store.channel, hash)
    },
    close: async () => {
      await store.close()
      client.disconnect()
    },
  }
}
