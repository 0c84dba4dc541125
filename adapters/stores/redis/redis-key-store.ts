/**
 * A {@link KeyStore} on Redis through `ioredis`, with fleet-wide revocation by pub/sub.
 * @module
 */
import type { Redis } from 'ioredis'
import {
  AuthError,
  type ApiKeyRecord,
  type AuthLogger,
  type KeyCap,
  type KeyPageQuery,
  type KeyRollRequest,
  type KeyRollResult,
  type KeyStore,
  type KeyLimits,
  type KeyUpdateExpectation,
  type KeyUpdatePatch,
  type KeyUpdateResult,
} from '../../../src/index.js'
import { extraJson, parseExtra } from '../shared/lifecycle-record.js'
import { limitsExpectationHolds } from '../../../src/store-kit.js'
import { pageMember, SCRIPTS, type Script } from './redis-scripts.js'
import { RevocationListeners } from '../shared/revocation-listeners.js'
import { isUuid } from '../shared/uuid.js'
import { storeLogger, warnIfNoErrorListener } from '../shared/store-log.js'

/**
 * What {@link RedisKeyStore} demands of the server's persistence; see
 * {@link RedisKeyStoreOptions.durability}.
 */
export type RedisDurability = 'required' | 'accept-risk'

/** Options of {@link RedisKeyStore}. */
export interface RedisKeyStoreOptions {
  /**
   * Prefix of every Redis key and of the pub/sub channel. On Redis Cluster, put a hash tag in it
   * (`'{vydra:auth}:'`) so that the scripts' keys share one slot. @defaultValue `'vydra:auth:'`
   */
  namespace?: string
  /**
   * On each (re)connection of the subscriber, revocations made up to this long before it was
   * last known to be subscribed are replayed, so none is lost in an outage. Cover clock skew
   * between instances. @defaultValue `60_000`
   */
  replayWindowMs?: number
  /** How long the replay log of revocations is kept. @defaultValue `86_400_000` (a day) */
  replayRetentionMs?: number
  /**
   * How often the subscriber sends `PING`; no answer by the next one and it reconnects (which
   * resubscribes and replays). @defaultValue `10_000`
   */
  heartbeatMs?: number
  /** Subscriber connection failures (ioredis retries them); by default they are silent. */
  onError?: (error: unknown) => void
  /**
   * Whether an answered write (a revocation above all) must survive a crash of the Redis server.
   *
   * - `'required'`: before its first call, and again on the first call after each reconnection
   *   of the client, the store reads the server's persistence (`CONFIG GET append*`) and
   *   refuses to work (every call, and {@link RedisKeyStore.ready}, rejects with
   *   `CONFIGURATION_ERROR`, which the service answers 503) unless it is `appendonly yes` with
   *   `appendfsync always`: Redis then writes and fsyncs each command to the append-only file
   *   before it answers, so a revocation that was answered survives a crash of Redis and of the
   *   machine. Snapshots alone (`save`), `appendfsync everysec` or `no`, or a server whose
   *   configuration cannot be read (`CONFIG` renamed or not permitted) are refused.
   * - `'accept-risk'`: no refusal. The same check runs once and logs a warning naming what a
   *   crash can undo. Choose it only if losing recent revocations and keys on a crash of Redis
   *   is acceptable to you (a cache-only Redis, a managed Redis with replication you trust).
   *
   * @defaultValue `'required'`
   */
  durability?: RedisDurability
  /**
   * Where the store's start-up warnings go (a client without an `error` listener, accepted
   * durability risks), or `false` for nowhere. @defaultValue the console
   */
  logger?: AuthLogger | false
}

/**
 * A {@link KeyStore} on an `ioredis` client you own (the store never quits it). Records are
 * Redis hashes keyed by digest, with an id → digest key and a per-user set of ids; dates are
 * epoch milliseconds. `onRevoke` subscribes on `client.duplicate()`, which ioredis reconnects
 * and resubscribes; revocations from the outage are replayed from a log.
 *
 * @example
 * ```ts
 * const store = new RedisKeyStore(new Redis(process.env.REDIS_URL), { namespace: 'myapp:keys:' })
 * const auth = createApiKeyAuth({ store })
 * ```
 */
export class RedisKeyStore implements KeyStore {
  readonly #client: Redis
  readonly #ns: string
  readonly #channel: string
  readonly #replayWindowMs: number
  readonly #retentionMs: number
  readonly #heartbeatMs: number
  readonly #onError: (error: unknown) => void
  readonly #listeners: RevocationListeners
  readonly #durability: RedisDurability
  readonly #logger: AuthLogger
  #subscriber: Redis | undefined
  #heartbeat: ReturnType<typeof setInterval> | undefined
  #lostAt: number | undefined
  #started = false
  // The connection (ioredis replaces `client.stream` on each reconnection) whose server was
  // last found durable, and the check under way.
  #durableOn: unknown
  #checking: Promise<void> | undefined

  constructor(client: Redis, options: RedisKeyStoreOptions = {}) {
    if (client === null || typeof client !== 'object' || typeof client.duplicate !== 'function') {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'RedisKeyStore: pass an ioredis client',
      })
    }
    const namespace = options.namespace ?? 'vydra:auth:'
    if (typeof namespace !== 'string' || namespace.length === 0 || namespace.length > 200) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'RedisKeyStore: namespace must be a non-empty string of at most 200 characters',
      })
    }
    this.#client = client
    this.#ns = namespace
    this.#channel = `${namespace}revoked`
    this.#replayWindowMs = options.replayWindowMs ?? 60_000
    this.#retentionMs = options.replayRetentionMs ?? 86_400_000
    this.#heartbeatMs = options.heartbeatMs ?? 10_000
    this.#onError = options.onError ?? (() => {})
    this.#listeners = new RevocationListeners(this.#onError)
    const durability = options.durability ?? 'required'
    if (durability !== 'required' && durability !== 'accept-risk') {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: "RedisKeyStore: durability must be 'required' or 'accept-risk'",
      })
    }
    this.#durability = durability
    this.#logger = storeLogger(options.logger)
  }

  /**
   * Runs the start-up checks now instead of on the first call: resolves when the store may be
   * used; with `durability: 'required'` rejects with `CONFIGURATION_ERROR` when the server's
   * persistence could lose an answered write (the message says what to change), or with the
   * connection error when Redis cannot be reached. Await it at start-up to fail the deployment
   * rather than answer every request 503.
   */
  async ready(): Promise<void> {
    this.#startOnce()
    if (this.#durability === 'accept-risk') {
      await this.#checking
      return
    }
    await this.#durable()
  }

  #startOnce(): void {
    if (this.#started) return
    this.#started = true
    warnIfNoErrorListener(
      this.#client,
      this.#logger,
      "RedisKeyStore: the ioredis client has no 'error' listener, so its connection errors go " +
        "to stderr unseen by your application: add client.on('error', …)",
    )
    if (this.#durability === 'accept-risk') {
      // Warn once about what was accepted; never refuse, never delay a call.
      this.#checking = this.#inspect().then(
        (risk) => {
          if (risk !== undefined) {
            this.#logger.warn(`RedisKeyStore (durability: 'accept-risk'): ${risk}`)
          }
        },
        () => {},
      )
    }
  }

  // Resolves (synchronously, on the hot path) when this connection's server was found durable.
  #durable(): Promise<void> | undefined {
    if (!this.#started) this.#startOnce()
    if (this.#durability === 'accept-risk') return undefined
    if (this.#durableOn !== undefined && this.#durableOn === this.#client.stream) return undefined
    this.#checking ??= this.#inspect()
      .then((risk) => {
        if (risk !== undefined) {
          throw new AuthError('CONFIGURATION_ERROR', {
            message:
              `RedisKeyStore refuses this server: ${risk}. Set \`appendonly yes\` and ` +
              "`appendfsync always`, or pass durability: 'accept-risk' to accept the loss",
          })
        }
        this.#durableOn = this.#client.stream
      })
      .finally(() => {
        this.#checking = undefined
      })
    return this.#checking
  }

  // What a crash of the server could undo, or `undefined` when every answered write is fsynced.
  async #inspect(): Promise<string | undefined> {
    let config: Record<string, string> | undefined
    try {
      const reply: unknown = await this.#client.call('CONFIG', 'GET', 'append*')
      if (Array.isArray(reply)) {
        config = {}
        for (let i = 0; i + 1 < reply.length; i += 2)
          config[String(reply[i])] = String(reply[i + 1])
      }
    } catch (error) {
      // A refused command (renamed, or not permitted by an ACL) is an answer; a broken
      // connection is not, and is thrown.
      if (!isReplyError(error)) throw error
    }
    if (config !== undefined && config.appendonly !== undefined) {
      if (config.appendonly !== 'yes') {
        return 'its persistence is not append-only (appendonly no), so a crash or restart of Redis undoes the revocations (and creations) made since the last snapshot'
      }
      if (config.appendfsync !== 'always') {
        return `it runs appendfsync ${config.appendfsync ?? '(unknown)'}, so a crash of Redis or of its machine can undo revocations that were already answered`
      }
      return undefined
    }
    // CONFIG is not available: INFO still says whether the AOF is on, not how it is fsynced.
    let aof: string | undefined
    try {
      const info = await this.#client.info('persistence')
      aof = /^aof_enabled:(\d)/m.exec(info)?.[1]
    } catch (error) {
      if (!isReplyError(error)) throw error
    }
    if (aof === '0') {
      return 'its persistence is not append-only (INFO persistence: aof_enabled:0), so a crash or restart of Redis undoes the revocations (and creations) made since the last snapshot'
    }
    return 'its appendfsync policy cannot be read (CONFIG GET is refused to this connection), so it is unknown whether a crash of Redis can undo answered revocations; allow `CONFIG GET` (ACL: +config|get)'
  }

  /** The pub/sub channel revocations are announced on. */
  get channel(): string {
    return this.#channel
  }

  #recordKey(hash: string): string {
    return `${this.#ns}key:${hash}`
  }

  #idKey(id: string): string {
    return `${this.#ns}id:${id}`
  }

  #userKey(userId: string): string {
    return `${this.#ns}user:${userId}`
  }

  #logKey(): string {
    return `${this.#ns}revoked`
  }

  async #run(which: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await this.#client.evalsha(which.sha, keys.length, ...keys, ...args)
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      return this.#client.eval(which.source, keys.length, ...keys, ...args)
    }
  }

  async insert(record: ApiKeyRecord): Promise<void> {
    await this.#durable()
    await this.#insert(record, null)
  }

  /** One script: counts the owner's live keys of the prefix and inserts below the cap. */
  async insertCapped(record: ApiKeyRecord, cap: KeyCap): Promise<boolean> {
    await this.#durable()
    return (await this.#insert(record, cap)) === 1
  }

  async #insert(record: ApiKeyRecord, cap: KeyCap | null): Promise<unknown> {
    return this.#run(
      SCRIPTS.insert,
      [this.#recordKey(record.hash), this.#idKey(record.id), this.#userKey(record.userId)],
      [
        this.#ns,
        record.hash,
        record.id,
        record.userId,
        pageMember(record.createdAt, record.id),
        cap === null ? '' : cap.max,
        cap === null ? '' : cap.keyPrefix,
        cap === null ? '' : cap.at.getTime(),
        ...recordFields(record),
      ],
    )
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    await this.#durable()
    const fields = await this.#client.hgetall(this.#recordKey(hash))
    return toRecord(hash, fields)
  }

  async listByUser(userId: string): Promise<ApiKeyRecord[]> {
    await this.#durable()
    const ids = await this.#client.smembers(this.#userKey(userId))
    if (ids.length === 0) return []
    const hashes = await this.#client.mget(ids.map((id) => this.#idKey(id)))
    const pipeline = this.#client.pipeline()
    const known = hashes.filter((hash): hash is string => hash !== null)
    for (const hash of known) pipeline.hgetall(this.#recordKey(hash))
    const results = (await pipeline.exec()) ?? []
    const records: ApiKeyRecord[] = []
    results.forEach(([error, fields], i) => {
      if (error !== null) throw error
      const record = toRecord(known[i] as string, fields as Record<string, string>)
      if (record !== null) records.push(record)
    })
    return records
  }

  /** One script: owner check, first `revokedAt` (and reason) wins, replay log, PUBLISH. */
  async revoke(
    keyId: string,
    userId: string,
    at: Date,
    reason?: string,
  ): Promise<ApiKeyRecord | null> {
    await this.#durable()
    if (!isUuid(keyId)) return null
    const reply = await this.#run(
      SCRIPTS.revoke,
      [this.#idKey(keyId), this.#logKey()],
      [
        this.#ns,
        keyId,
        userId,
        at.getTime(),
        typeof reason === 'string' ? reason : '',
        at.getTime() - this.#retentionMs,
      ],
    )
    return pairRecord(reply)
  }

  /** One script: see {@link KeyStore.setDisabled}; pushes only when the state changed. */
  async setDisabled(keyId: string, userId: string, at: Date | null): Promise<ApiKeyRecord | null> {
    await this.#durable()
    if (!isUuid(keyId)) return null
    const now = Date.now()
    const reply = await this.#run(
      SCRIPTS.setDisabled,
      [this.#idKey(keyId), this.#logKey()],
      [this.#ns, keyId, userId, ms(at), now, now - this.#retentionMs],
    )
    return pairRecord(reply)
  }

  /** One compare-and-set script: see {@link KeyStore.update}. */
  async update(
    keyId: string,
    userId: string,
    patch: KeyUpdatePatch,
    expected: KeyUpdateExpectation,
  ): Promise<KeyUpdateResult | null> {
    await this.#durable()
    if (!isUuid(keyId)) return null
    const fields: string[] = []
    if (patch.name !== undefined) fields.push('name', patch.name)
    if (patch.metadata !== undefined) fields.push('metadata', JSON.stringify(patch.metadata))
    if (patch.scopes !== undefined) fields.push('scopes', JSON.stringify(patch.scopes))
    if (patch.expiresAt !== undefined) fields.push('expiresAt', ms(patch.expiresAt))
    // Usage limits live in the `extra` JSON: rewritten here, applied only if nobody changed it
    // since this read (the script compares; a conflict makes the core re-read and retry).
    let extraWas = ''
    if (patch.limits !== undefined || expected.limits !== undefined) {
      const hash = await this.#client.get(this.#idKey(keyId))
      if (hash === null) return null
      const current = (await this.#client.hget(this.#recordKey(hash), 'extra')) ?? ''
      const extra = parseExtra(current)
      // Limits expected (a narrow-only change) and already different: a conflict, which the
      // script answers with the current record (no stored extra can equal this).
      const held = limitsExpectationHolds(extra.limits as KeyLimits | undefined, expected.limits)
      if (patch.limits === null) delete extra.limits
      else if (patch.limits !== undefined) extra.limits = patch.limits
      if (patch.limits !== undefined) {
        fields.push('extra', Object.keys(extra).length === 0 ? '' : JSON.stringify(extra))
      }
      extraWas = held ? `=${current}` : '!'
    }
    const now = Date.now()
    const reply = await this.#run(
      SCRIPTS.update,
      [this.#idKey(keyId), this.#logKey()],
      [
        this.#ns,
        keyId,
        userId,
        JSON.stringify(expected.scopes),
        ms(expected.expiresAt),
        now,
        now - this.#retentionMs,
        extraWas,
        ...fields,
      ],
    )
    if (!Array.isArray(reply)) return null
    const record = pairRecord(reply.slice(1))
    if (record === null) return null
    return reply[0] === 1
      ? { ok: true, record }
      : { ok: false, reason: 'conflict', current: record }
  }

  /** One script: see {@link KeyStore.roll}. */
  async roll(request: KeyRollRequest): Promise<KeyRollResult | null> {
    await this.#durable()
    if (!isUuid(request.keyId)) return null
    const now = Date.now()
    const { next } = request
    const reply = await this.#run(
      SCRIPTS.roll,
      [this.#idKey(request.keyId), this.#recordKey(next.hash), this.#idKey(next.id)],
      [
        this.#ns,
        request.keyId,
        request.userId,
        request.at.getTime(),
        request.graceMs,
        request.graceStarts,
        next.id,
        next.hash,
        next.keyPrefix,
        next.createdAt.getTime(),
        next.createdBy ?? '',
        pageMember(next.createdAt, next.id),
        now,
        now - this.#retentionMs,
      ],
    )
    if (!Array.isArray(reply)) return null
    if (reply[0] !== 1) {
      const current = pairRecord(reply.slice(2))
      if (current === null) return null
      return { ok: false, reason: reply[1] as 'revoked', current }
    }
    const previous = pairRecord(reply.slice(1, 3))
    const created = pairRecord(reply.slice(3, 5))
    if (previous === null || created === null) return null
    return { ok: true, previous, next: created, ended: pairRecord(reply.slice(5, 7)) }
  }

  /** One script: see {@link KeyStore.startRollGrace}; N instances agree on one grace end. */
  async startRollGrace(keyId: string, at: Date): Promise<ApiKeyRecord | null> {
    await this.#durable()
    if (!isUuid(keyId)) return null
    const now = Date.now()
    const reply = await this.#run(
      SCRIPTS.startGrace,
      [this.#idKey(keyId), this.#logKey()],
      [this.#ns, keyId, at.getTime(), now, now - this.#retentionMs],
    )
    return pairRecord(reply)
  }

  /**
   * One script per page: walks the owner's page index (a sorted set ordered by createdAt, id;
   * completed from the owner's set for records written by 0.1) and filters in Redis.
   */
  async listPage(userId: string, query: KeyPageQuery): Promise<ApiKeyRecord[]> {
    await this.#durable()
    const reply = await this.#run(
      SCRIPTS.listPage,
      [this.#userKey(userId), `${this.#ns}page:${userId}`],
      [
        this.#ns,
        userId,
        query.keyPrefix,
        query.status,
        query.at.getTime(),
        query.after === null ? '' : pageMember(query.after.createdAt, query.after.id),
        query.limit,
      ],
    )
    if (!Array.isArray(reply)) return []
    return reply.flatMap((pair) => pairRecord(pair) ?? [])
  }

  async touch(keyId: string, at: Date): Promise<void> {
    await this.#durable()
    if (!isUuid(keyId)) return
    const hash = await this.#client.get(this.#idKey(keyId))
    if (hash === null) return
    await this.#run(SCRIPTS.touch, [this.#recordKey(hash)], [at.getTime()])
  }

  // Pepper rotation (0.2): the optional methods of the port.

  /** The record stored under one of `hashes`, in one round trip (a pipeline); `null` when none. */
  async findByHashes(hashes: readonly string[]): Promise<ApiKeyRecord | null> {
    await this.#durable()
    if (hashes.length === 0) return null
    const pipeline = this.#client.pipeline()
    for (const hash of hashes) pipeline.hgetall(this.#recordKey(hash))
    const results = (await pipeline.exec()) ?? []
    for (let i = 0; i < results.length; i++) {
      const [error, fields] = results[i] as [Error | null, Record<string, string>]
      if (error !== null) throw error
      const record = toRecord(hashes[i] as string, fields)
      if (record !== null) return record
    }
    return null
  }

  /** Moves the record of `keyId` from digest `from` to `to` in one script (compare-and-set). */
  async rehash(keyId: string, from: string, to: string): Promise<boolean> {
    await this.#durable()
    if (!isUuid(keyId)) return false
    const reply = await this.#run(
      SCRIPTS.rehash,
      [this.#idKey(keyId), this.#recordKey(from), this.#recordKey(to)],
      [from, to],
    )
    return reply === 1
  }

  /**
   * Records not revoked per digest version (the pepper id before `$`, `''` for none). Walks the
   * namespace with `SCAN`: an operator's call, not a request's.
   */
  async countDigestVersions(): Promise<Record<string, number>> {
    await this.#durable()
    const prefix = this.#recordKey('')
    const counts: Record<string, number> = {}
    let cursor = '0'
    do {
      const [next, keys] = await this.#client.scan(
        cursor,
        'MATCH',
        `${globEscape(prefix)}*`,
        'COUNT',
        1000,
      )
      cursor = next
      if (keys.length === 0) continue
      const pipeline = this.#client.pipeline()
      for (const key of keys) pipeline.hget(key, 'revokedAt')
      const results = (await pipeline.exec()) ?? []
      keys.forEach((key, i) => {
        const [error, revokedAt] = results[i] as [Error | null, string | null]
        if (error !== null) throw error
        if (revokedAt !== '') return
        const hash = key.slice(prefix.length)
        const version = hash.includes('$') ? hash.slice(0, hash.indexOf('$')) : ''
        counts[version] = (counts[version] ?? 0) + 1
      })
    } while (cursor !== '0')
    return counts
  }

  /**
   * Calls `listener` with the hash of every key revoked through any instance, and (one channel
   * carries both, and evicting is harmless) of every other key whose verification a write may
   * have changed: see {@link RedisKeyStore.onInvalidate}.
   */
  onRevoke(listener: (hash: string) => void): () => void {
    return this.onInvalidate(listener)
  }

  /**
   * Calls `listener` with the hash of every key whose verification may have changed through any
   * instance (revoke, disable, enable, update, roll, start of a first-use grace): PUBLISH on
   * {@link RedisKeyStore.channel} by the writing script; after a reconnection, the replay log
   * gives back what the outage may have hidden.
   */
  onInvalidate(listener: (hash: string) => void): () => void {
    this.#listeners.add(listener)
    if (this.#subscriber === undefined) this.#subscribe()
    return () => {
      this.#listeners.delete(listener)
      // Unsubscribe once nobody has re-subscribed by the next turn of the event loop: a
      // listener replaced at once keeps the live subscription and misses nothing in between.
      if (this.#listeners.size === 0) {
        setTimeout(() => {
          if (this.#listeners.size === 0) this.#unsubscribe()
        }, 0).unref?.()
      }
    }
  }

  /**
   * Whether the revocation subscriber is connected, subscribed and caught up (after its replay);
   * `false` while it reconnects or when nobody subscribes.
   */
  listenerConnected(): boolean {
    return this.#subscriber?.status === 'ready' && this.#lostAt === undefined
  }

  /** Closes the subscriber connection. The client stays yours to quit. */
  async close(): Promise<void> {
    this.#listeners.clear()
    this.#unsubscribe()
  }

  #emit(hash: string): void {
    this.#listeners.emit(hash)
  }

  #subscribe(): void {
    const subscriber = this.#client.duplicate()
    this.#subscriber = subscriber
    this.#lostAt = Date.now()
    subscriber.on('error', (error: unknown) => this.#onError(error))
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.#channel) this.#emit(message)
    })
    subscriber.on('close', () => {
      this.#lostAt ??= Date.now()
    })
    // ioredis resubscribes by itself on reconnect (autoResubscribe); subscribing again here is
    // harmless and tells us when the subscription is live, so the replay misses nothing.
    subscriber.on('ready', () => {
      if (this.#subscriber === subscriber) void this.#resume(subscriber)
    })
    // Connects if the client was created with lazyConnect.
    if (subscriber.status === 'wait') subscriber.connect().catch(this.#onError)
    // A PING still unanswered one interval later means a dead (half-open) connection.
    let waiting = false
    this.#heartbeat = setInterval(() => {
      if (subscriber.status !== 'ready') return
      if (waiting) {
        waiting = false
        this.#lostAt ??= Date.now()
        subscriber.disconnect(true)
        return
      }
      waiting = true
      subscriber.ping().then(
        () => (waiting = false),
        () => (waiting = false),
      )
    }, this.#heartbeatMs)
    this.#heartbeat.unref?.()
  }

  async #resume(subscriber: Redis): Promise<void> {
    try {
      await subscriber.subscribe(this.#channel)
      const since = (this.#lostAt ?? Date.now()) - this.#replayWindowMs
      const hashes = await this.#client.zrangebyscore(this.#logKey(), since, '+inf')
      this.#lostAt = undefined
      if (this.#subscriber === subscriber) for (const hash of hashes) this.#emit(hash)
    } catch (error) {
      this.#onError(error)
    }
  }

  #unsubscribe(): void {
    clearInterval(this.#heartbeat)
    this.#heartbeat = undefined
    const subscriber = this.#subscriber
    this.#subscriber = undefined
    subscriber?.disconnect()
  }
}

// An error answered by the server (`ERR unknown command`, `NOPERM`…), not a connection failure.
const isReplyError = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ReplyError'

// SCAN's MATCH is a glob: a namespace holding *, ?, [ or \\ must match itself only.
const globEscape = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&')

const ms = (date: Date | null): string => (date === null ? '' : String(date.getTime()))

const date = (value: string | undefined): Date | null =>
  value === undefined || value === '' ? null : new Date(Number(value))

const text = (value: string | undefined): string | null =>
  value === undefined || value === '' ? null : value

// The hash fields of a record (the digest is the Redis key, not a field).
function recordFields(record: ApiKeyRecord): string[] {
  return [
    'id',
    record.id,
    'userId',
    record.userId,
    'name',
    record.name,
    'keyPrefix',
    record.keyPrefix,
    'scopes',
    JSON.stringify(record.scopes),
    'createdAt',
    ms(record.createdAt),
    'expiresAt',
    ms(record.expiresAt),
    'lastUsedAt',
    ms(record.lastUsedAt ?? null),
    'revokedAt',
    ms(record.revokedAt),
    'ownerType',
    record.ownerType ?? '',
    'createdBy',
    record.createdBy ?? '',
    'metadata',
    record.metadata === undefined ? '' : JSON.stringify(record.metadata),
    'disabledAt',
    ms(record.disabledAt ?? null),
    'revokedReason',
    record.revokedReason ?? '',
    'replacedBy',
    record.replacedBy ?? '',
    'rolledFrom',
    record.rolledFrom ?? '',
    'graceEndsAt',
    ms(record.graceEndsAt ?? null),
    'firstUseGraceMs',
    record.firstUseGraceMs == null ? '' : String(record.firstUseGraceMs),
    'extra',
    extraJson(record) ?? '',
  ]
}

// A script's `{ hash, HGETALL }` answer as a record; anything else (nil, '') is null.
function pairRecord(reply: unknown): ApiKeyRecord | null {
  if (!Array.isArray(reply) || typeof reply[0] !== 'string' || reply[0] === '') return null
  const flat: unknown = reply[1]
  if (!Array.isArray(flat)) return null
  const fields: Record<string, string> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1])
  return toRecord(reply[0], fields)
}

// Absent fields stay absent (undefined), so the core flags a damaged record instead of granting.
// The 0.2 fields are another matter: a 0.1 record lacks them, and reads as their defaults.
function toRecord(hash: string, fields: Record<string, string>): ApiKeyRecord | null {
  if (fields.id === undefined) return null
  return {
    ...parseExtra(fields.extra),
    id: fields.id,
    userId: fields.userId as string,
    name: fields.name as string,
    keyPrefix: fields.keyPrefix as string,
    scopes: JSON.parse(fields.scopes ?? 'null') as string[],
    hash,
    createdAt: date(fields.createdAt) as Date,
    expiresAt: fields.expiresAt === undefined ? (undefined as never) : date(fields.expiresAt),
    lastUsedAt: date(fields.lastUsedAt),
    revokedAt: fields.revokedAt === undefined ? (undefined as never) : date(fields.revokedAt),
    ownerType: (text(fields.ownerType) ?? 'user') as ApiKeyRecord['ownerType'],
    createdBy: text(fields.createdBy),
    metadata: JSON.parse(text(fields.metadata) ?? '{}') as ApiKeyRecord['metadata'],
    disabledAt: date(fields.disabledAt),
    revokedReason: text(fields.revokedReason),
    replacedBy: text(fields.replacedBy),
    rolledFrom: text(fields.rolledFrom),
    graceEndsAt: date(fields.graceEndsAt),
    firstUseGraceMs: text(fields.firstUseGraceMs) === null ? null : Number(fields.firstUseGraceMs),
  }
}
