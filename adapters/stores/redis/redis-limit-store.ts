/**
 * A {@link LimitStore} on Redis through `ioredis`: one Lua script call per event-loop turn
 * applies every check made in that turn, in order, atomically (one round trip).
 * @module
 */
import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import {
  AuthError,
  type LimitCheck,
  type LimitOutcome,
  type LimitStore,
} from '../../../src/index.js'
import { ChargeBatch } from './charge-batch.js'
import { CONSUME } from './limit-script.js'

/** Options of {@link RedisLimitStore}. */
export interface RedisLimitStoreOptions {
  /** Prefix of every key the store writes. @defaultValue `'vydra:limits:'` */
  prefix?: string
  /**
   * How many checks one script call may carry. The checks made in one event-loop turn go to
   * Redis together, in one `EVALSHA` that applies them in order (still atomic and exact); a
   * batch is sent as soon as it holds this many. `1` sends every check at once in its own call
   * (no coalescing). An integer from 1 to 1000. On a Redis Cluster client it is forced to 1: the
   * checks of one call must share a slot. @defaultValue `64`
   */
  maxBatch?: number
}

const SHA = createHash('sha1').update(CONSUME).digest('hex')

// The limits' JSON, built once per frozen array or object (the service passes the same frozen
// limits on every check of a key): a check then costs a concatenation, not a JSON.stringify of
// its limits. A mutable one is serialised anew each time.
const serialised = new WeakMap<object, string>()
function frozenJson(value: object): string {
  const known = serialised.get(value)
  if (known !== undefined) return known
  const text = JSON.stringify(value)
  if (deepFrozen(value)) serialised.set(value, text)
  return text
}
function deepFrozen(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true
  return Object.isFrozen(value) && Object.values(value).every(deepFrozen)
}

/** The script's ARGV[1]: the same text as `JSON.stringify({ rate, credits, cost, now })`. */
export function checkJson(check: LimitCheck): string {
  const credits = check.credits === undefined ? '' : `,"credits":${frozenJson(check.credits)}`
  return `{"rate":${frozenJson(check.rate)}${credits},"cost":${JSON.stringify(check.cost)},"now":${JSON.stringify(check.now)}}`
}

/**
 * Counts usage in Redis: each subject's state is one string (packed numbers), read, checked and
 * written by one Lua script (atomic: Redis runs a script alone), so every instance sharing the server sees
 * one count. The checks of one event-loop turn share one script call (`maxBatch`), which applies
 * them in order; a call that fails fails each of its checks, as a lone check's failure would. Rate-only state expires with its longest window; state holding credits does not.
 *
 * @example
 * ```ts
 * const limits = new RedisLimitStore(new Redis(process.env.REDIS_URL))
 * const auth = createApiKeyAuth({ store, limits: { store: limits } })
 * ```
 */
export class RedisLimitStore implements LimitStore {
  readonly #client: Redis
  readonly #prefix: string
  readonly #batch: ChargeBatch

  constructor(client: Redis, options: RedisLimitStoreOptions = {}) {
    if (client === null || typeof client !== 'object' || typeof client.evalsha !== 'function') {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'RedisLimitStore: pass an ioredis client',
      })
    }
    const prefix = options?.prefix ?? 'vydra:limits:'
    if (typeof prefix !== 'string' || prefix.length > 100) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'RedisLimitStore: prefix must be a string of at most 100 characters',
      })
    }
    const maxBatch = options?.maxBatch ?? 64
    if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > 1000) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'RedisLimitStore: maxBatch must be an integer from 1 to 1000',
      })
    }
    this.#client = client
    this.#prefix = prefix
    // Subjects hash to any slot, and a script's keys must share one: on a cluster, one per call.
    const cluster = (client as { isCluster?: unknown }).isCluster === true
    this.#batch = new ChargeBatch((keys, args) => this.#send(keys, args), cluster ? 1 : maxBatch)
  }

  consume(check: LimitCheck): Promise<LimitOutcome> {
    let args: string
    try {
      args = checkJson(check)
    } catch (error) {
      return Promise.reject(error) // a promise's failure, never a throw, as from an async method
    }
    // The answer is read against this check's limits, which the batch copies (the check object
    // itself the caller may reuse for its next request).
    return this.#batch.add(this.#prefix + check.subject, args, check)
  }

  async #send(keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.#client.evalsha(SHA, keys.length, ...keys, ...args)
    } catch (error) {
      // After a restart or SCRIPT FLUSH the server no longer knows the script: send it once.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      return await this.#client.eval(CONSUME, keys.length, ...keys, ...args)
    }
  }
}
