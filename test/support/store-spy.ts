/** A KeyStore wrapper for tests: counts calls, and can throw, hang, defer or return seeded records. */
import { MemoryKeyStore, type ApiKeyRecord, type KeyStore } from '../../src/index.js'

export type StoreMethod = 'insert' | 'findByHash' | 'listByUser' | 'revoke' | 'touch'

/** How a method behaves; `real` (the default) delegates to the memory store. */
export type Behaviour =
  | { kind: 'real' }
  | { kind: 'reject'; error?: unknown }
  | { kind: 'throw-sync'; error?: unknown }
  /** Never settles unless {@link StoreSpy.release} is called: a hang, or a late answer. */
  | { kind: 'defer' }

export interface StoreSpyOptions {
  /** Expose `touch`. @defaultValue true */
  touch?: boolean
  /** Expose `onRevoke`. @defaultValue true */
  onRevoke?: boolean
  /** Share an existing memory store (several auth instances over one store). */
  memory?: MemoryKeyStore
  /**
   * Expose the 0.2 lifecycle methods (roll, startRollGrace, setDisabled, update, listPage) and,
   * unless `onRevoke` is false, `onInvalidate` instead of `onRevoke`. Not counted as calls;
   * `insertCapped` stays off, so creation still goes through `listByUser` + `insert`.
   * @defaultValue false
   */
  lifecycle?: boolean
}

interface Pending {
  method: StoreMethod
  run: () => Promise<unknown>
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

export interface StoreSpy {
  /** The store to hand to `createApiKeyAuth`. */
  store: KeyStore
  /** The real store underneath: seed it or read it without counting calls. */
  memory: MemoryKeyStore
  /** Calls made through {@link StoreSpy.store}, per method. */
  calls: Record<StoreMethod, number>
  /** Arguments of every `touch` call. */
  touches: { keyId: string; at: Date }[]
  /** Per-method behaviour; change it at any time. */
  behave: Partial<Record<StoreMethod, Behaviour>>
  /** When set, `findByHash` answers with this value instead of asking the memory store. */
  findResult: ((hash: string) => unknown) | undefined
  /** When set, these methods resolve with the given value instead of asking the memory store. */
  answer: Partial<Record<StoreMethod, () => unknown>>
  /** Calls currently held by a `defer` behaviour. */
  pending(method?: StoreMethod): number
  /** Lets every deferred call of `method` run its real operation and settle. */
  release(method: StoreMethod): Promise<void>
  /** Rejects every deferred call of `method` with `error`. */
  fail(method: StoreMethod, error: unknown): void
  /** Total calls. */
  total(): number
}

/** Creates a {@link StoreSpy} over a fresh (or given) {@link MemoryKeyStore}. */
export function createStoreSpy(options: StoreSpyOptions = {}): StoreSpy {
  const memory = options.memory ?? new MemoryKeyStore()
  const calls: Record<StoreMethod, number> = {
    insert: 0,
    findByHash: 0,
    listByUser: 0,
    revoke: 0,
    touch: 0,
  }
  const held: Pending[] = []
  const spy: StoreSpy = {
    memory,
    calls,
    touches: [],
    behave: {},
    findResult: undefined,
    answer: {},
    store: undefined as unknown as KeyStore,
    pending: (method) => held.filter((p) => method === undefined || p.method === method).length,
    release: async (method) => {
      for (const p of held.filter((h) => h.method === method)) {
        held.splice(held.indexOf(p), 1)
        await p.run().then(p.resolve, p.reject)
      }
    },
    fail: (method, error) => {
      for (const p of held.filter((h) => h.method === method)) {
        held.splice(held.indexOf(p), 1)
        p.reject(error)
      }
    },
    total: () => Object.values(calls).reduce((a, b) => a + b, 0),
  }

  const call = <T>(method: StoreMethod, real: () => Promise<T>): Promise<T> => {
    calls[method]++
    const answer = spy.answer[method]
    const run = answer === undefined ? real : async () => answer() as T
    const behaviour = spy.behave[method] ?? { kind: 'real' }
    switch (behaviour.kind) {
      case 'reject':
        return Promise.reject(behaviour.error ?? new Error('connect ECONNREFUSED 10.0.0.5:5432'))
      case 'throw-sync':
        throw behaviour.error ?? new TypeError('store exploded synchronously')
      case 'defer':
        return new Promise<T>((resolve, reject) => {
          held.push({ method, run, resolve: resolve as (v: unknown) => void, reject })
        })
      default:
        return run()
    }
  }

  const store: KeyStore = {
    insert: (record) => call('insert', () => memory.insert(record)),
    findByHash: (hash) =>
      call('findByHash', async () => {
        if (spy.findResult !== undefined) return spy.findResult(hash) as ApiKeyRecord | null
        return memory.findByHash(hash)
      }),
    listByUser: (userId) => call('listByUser', () => memory.listByUser(userId)),
    revoke: (keyId, userId, at, reason) =>
      call('revoke', () => memory.revoke(keyId, userId, at, reason)),
  }
  if (options.touch !== false) {
    store.touch = (keyId, at) => {
      spy.touches.push({ keyId, at })
      return call('touch', () => memory.touch(keyId, at))
    }
  }
  if (options.onRevoke !== false) {
    store.onRevoke = (listener) => memory.onRevoke(listener)
  }
  if (options.lifecycle === true) {
    store.roll = (request) => memory.roll(request)
    store.startRollGrace = (keyId, at) => memory.startRollGrace(keyId, at)
    store.setDisabled = (keyId, userId, at) => memory.setDisabled(keyId, userId, at)
    store.update = (keyId, userId, patch, expected) => memory.update(keyId, userId, patch, expected)
    store.listPage = (userId, query) => memory.listPage(userId, query)
    if (options.onRevoke !== false) store.onInvalidate = (listener) => memory.onInvalidate(listener)
  }
  spy.store = store
  return spy
}
