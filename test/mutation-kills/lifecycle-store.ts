/**
 * A key store for the lifecycle kill tests (key-lifecycle.test.ts, guarded-lifecycle.test.ts):
 * a `MemoryKeyStore` behind a wrapper that records how each lifecycle method was called and lets
 * a test answer one in its place (a race, a broken store), or leave methods out (an older store).
 * It pushes no invalidations unless asked, so a test sees what this instance evicts itself.
 */
import {
  type ApiKeyAuth,
  type ApiKeyAuthOptions,
  type ApiKeyRecord,
  type AuditQuery,
  type AuditRecord,
  type AuthTelemetry,
  type KeyStore,
  createApiKeyAuth,
  MemoryAuditStore,
  MemoryKeyStore,
} from '../../src/index.js'
import { createClock } from '../support/clock.js'
import { createLogSink } from '../support/log-sink.js'
import { registerKey } from '../support/secret-scan.js'

export const LIFECYCLE_METHODS = [
  'roll',
  'startRollGrace',
  'setDisabled',
  'update',
  'listPage',
  'insertCapped',
] as const

export type LifecycleMethod = (typeof LIFECYCLE_METHODS)[number]

/** A stand-in answer: gets the arguments, and the memory store to delegate to. */
export type Answer = (args: unknown[], memory: MemoryKeyStore) => unknown

export interface LifecycleStoreOptions {
  /** Methods the store does not have. */
  omit?: readonly LifecycleMethod[]
  /** Push invalidations (`onInvalidate`), as a store shared by a fleet must. */
  push?: boolean
  /** The store is also the audit store: it writes the records it is handed with the change. */
  atomicAudit?: boolean
  /** The records, shared with another wrapper (two instances on one store). */
  memory?: MemoryKeyStore
}

export interface LifecycleStore {
  store: KeyStore
  memory: MemoryKeyStore
  /** The audit store (the same object as `store` with `atomicAudit`). */
  audit: MemoryAuditStore
  /** Per method, the argument count of each call. */
  arity: Record<string, number[]>
  /** Set an entry to answer that method in the memory store's place (`delete` to stop). */
  answers: Partial<Record<LifecycleMethod, Answer>>
}

/** Builds the store; see {@link LifecycleStoreOptions}. */
export function lifecycleStore(options: LifecycleStoreOptions = {}): LifecycleStore {
  const memory = options.memory ?? new MemoryKeyStore()
  const audit = new MemoryAuditStore()
  const arity: Record<string, number[]> = {}
  const answers: LifecycleStore['answers'] = {}
  const store: Record<string, unknown> = {
    insert: (record: ApiKeyRecord) => memory.insert(record),
    findByHash: (hash: string) => memory.findByHash(hash),
    listByUser: (userId: string) => memory.listByUser(userId),
    revoke: (keyId: string, userId: string, at: Date, reason?: string) =>
      memory.revoke(keyId, userId, at, reason),
  }
  for (const method of LIFECYCLE_METHODS) {
    if (options.omit?.includes(method) === true) continue
    store[method] = async (...args: unknown[]) => {
      ;(arity[method] ??= []).push(args.length)
      const answer = answers[method]
      const result: unknown =
        answer === undefined
          ? await (memory[method] as (...a: unknown[]) => Promise<unknown>)(...args)
          : await answer(args, memory)
      // The trailing audit argument of a write, written with it (as PostgreSQL's transaction).
      const write = args.at(-1)
      if (options.atomicAudit === true && Array.isArray(write) && method !== 'listPage') {
        await audit.appendAudit(write as AuditRecord[])
      }
      return result
    }
  }
  if (options.push === true) {
    store['onInvalidate'] = (listener: (hash: string) => void) => memory.onInvalidate(listener)
  }
  if (options.atomicAudit === true) {
    store['appendAudit'] = (records: readonly AuditRecord[]) => audit.appendAudit(records)
    store['listAudit'] = (query: AuditQuery) => audit.listAudit(query)
  }
  return { store: store as unknown as KeyStore, memory, audit, arity, answers }
}

/** Telemetry that records each store call's operation and outcome. */
export function storeCallRecorder(): { telemetry: AuthTelemetry; calls: [string, string][] } {
  const calls: [string, string][] = []
  return {
    calls,
    telemetry: {
      verified: () => {},
      operation: (_name, run) => run(),
      storeCall: (operation, _ms, outcome) => void calls.push([operation, outcome]),
      revocationPropagated: () => {},
      attach: () => {},
    },
  }
}

/**
 * A service over a {@link lifecycleStore}, with a fake clock and a log sink: its audit store is
 * the store itself with `atomicAudit`, else the wrapper's separate one when `separateAudit`,
 * else none. `issue` creates a key of `u1` (registered with the secret scan), `errors` lists the
 * error log lines, `actions` the audit actions of a key.
 */
export function lifecycleFixture(
  options: Partial<ApiKeyAuthOptions> = {},
  storeOptions: LifecycleStoreOptions = {},
  { separateAudit = false }: { separateAudit?: boolean } = {},
) {
  const s = lifecycleStore(storeOptions)
  const clock = createClock()
  const logs = createLogSink()
  const auditStore =
    storeOptions.atomicAudit === true ? (s.store as never) : separateAudit ? s.audit : undefined
  const auth = createApiKeyAuth({
    store: s.store,
    ...(auditStore === undefined ? {} : { auditStore }),
    now: clock.now,
    logger: logs.logger,
    ...options,
  })
  const issue = async (input: Partial<Parameters<ApiKeyAuth['createKey']>[0]> = {}) => {
    const created = await auth.createKey({ userId: 'u1', name: 'k', ...input })
    registerKey(created.key)
    return created
  }
  const errors = () =>
    logs.lines.filter((l) => l.level === 'error').map((l) => [l.message, l.context])
  const actions = async (keyId: string) =>
    (await auth.listEvents({ userId: 'u1', keyId })).events.map((e) => e.action)
  return { ...s, clock, logs, auth, issue, errors, actions }
}
