/**
 * A {@link LimitStore} on Redis through `ioredis`: one Lua script per check, one round trip.
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
import { parseLimitOutcome } from '../shared/limit-outcome.js'
import { CONSUME } from './limit-script.js'

/** Options of {@link RedisLimitStore}. */
export interface RedisLimitStoreOptions {
  /** Prefix of every key the store writes. @defaultValue `'vydra:limits:'` */
  prefix?: string
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
 * Counts usage in Redis: each subject's state is one JSON string, read, checked and written by
 * one Lua script (atomic: Redis runs a script alone), so every instance sharing the server sees
 * one count. Rate-only state expires with its longest window; state holding credits does not.
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
    this.#client = client
    this.#prefix = prefix
  }

  async consume(check: LimitCheck): Promise<LimitOutcome> {
    const key = this.#prefix + check.subject
    const args = checkJson(check)
    let answer: unknown
    try {
      answer = await this.#client.evalsha(SHA, 1, key, args)
    } catch (error) {
      // After a restart or SCRIPT FLUSH the server no longer knows the script: send it once.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      answer = await this.#client.eval(CONSUME, 1, key, args)
    }
    return parseLimitOutcome(answer)
  }
}
