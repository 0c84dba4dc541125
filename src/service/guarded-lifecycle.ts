/**
 * The 0.2 lifecycle methods of the store, guarded like the rest (deadline, 503 mapping, record
 * integrity) and evicting this instance's cache for every key they change. Internal.
 * @module
 */
import type { AuditWrite } from '../audit-store.js'
import { AuthError } from '../errors.js'
import type {
  KeyCap,
  KeyPageQuery,
  KeyRollRequest,
  KeyRollResult,
  KeyStore,
  KeyUpdateExpectation,
  KeyUpdatePatch,
  KeyUpdateResult,
} from '../key-store.js'
import { describeError } from '../lib/describe-error.js'
import { findCorruptField } from '../lib/check-record.js'
import type { AuthLogger } from '../options/types.js'
import type { ApiKeyRecord } from '../types.js'

/** Which optional operations the store offers. */
export interface StoreCapabilities {
  roll: boolean
  firstUse: boolean
  disable: boolean
  update: boolean
  page: boolean
  cap: boolean
}

/** The lifecycle half of the guarded store. Each write evicts what it changed, here at once. */
export interface GuardedLifecycle {
  readonly capabilities: StoreCapabilities
  /** `audit` (here and below): records the store writes in the change's transaction. */
  roll(request: KeyRollRequest, audit?: AuditWrite): Promise<KeyRollResult | null>
  /** Fire and forget; `onFailure` runs when the store could not be asked (to ask again). */
  startRollGrace(keyId: string, at: Date, onFailure: () => void): void
  setDisabled(
    keyId: string,
    userId: string,
    at: Date | null,
    audit?: AuditWrite,
  ): Promise<ApiKeyRecord | null>
  update(
    keyId: string,
    userId: string,
    patch: KeyUpdatePatch,
    expected: KeyUpdateExpectation,
    audit?: AuditWrite,
  ): Promise<KeyUpdateResult | null>
  listPage(userId: string, query: KeyPageQuery): Promise<ApiKeyRecord[]>
  insertCapped(record: ApiKeyRecord, cap: KeyCap, audit?: AuditWrite): Promise<boolean>
}

/** What {@link guardLifecycle} shares with the guarded store. */
export interface LifecycleGuardDeps {
  call: <T>(operation: string, fn: () => Promise<T>) => Promise<T>
  corrupt: (message: string, context: Record<string, unknown>) => AuthError
  invalidate: (digest: string) => void
  logger: AuthLogger
}

const unsupported = (): never => {
  throw new AuthError('NOT_SUPPORTED')
}

/** The store's capabilities, from the methods it has. */
export function storeCapabilities(store: KeyStore): StoreCapabilities {
  return {
    roll: typeof store.roll === 'function',
    firstUse: typeof store.roll === 'function' && typeof store.startRollGrace === 'function',
    disable: typeof store.setDisabled === 'function',
    update: typeof store.update === 'function',
    page: typeof store.listPage === 'function',
    cap: typeof store.insertCapped === 'function',
  }
}

/** Wraps the lifecycle methods of `store`; a missing one answers `NOT_SUPPORTED` (501). */
export function guardLifecycle(store: KeyStore, deps: LifecycleGuardDeps): GuardedLifecycle {
  const { call, invalidate } = deps
  const setDisabled = store.setDisabled?.bind(store)
  const update = store.update?.bind(store)
  const listPage = store.listPage?.bind(store)
  const insertCapped = store.insertCapped?.bind(store)
  // A record the store answered must be sound and belong to the owner asked about.
  const sound: Sound = (value, operation, userId) => {
    const field = findCorruptField(value)
    const record = value as ApiKeyRecord
    if (field !== undefined || (userId !== undefined && record.userId !== userId)) {
      throw deps.corrupt(`store returned a corrupt record from ${operation}`, {
        field: field ?? 'userId',
      })
    }
    return record
  }

  return {
    capabilities: storeCapabilities(store),

    ...guardRoll(store, deps, sound),

    setDisabled: async (keyId, userId, at, audit) => {
      if (setDisabled === undefined) return unsupported()
      const result: unknown = await call('setDisabled', () =>
        audit === undefined
          ? setDisabled(keyId, userId, at)
          : setDisabled(keyId, userId, at, audit),
      )
      if (result === null) return null
      const record = sound(result, 'setDisabled', userId)
      invalidate(record.hash)
      return record
    },

    update: async (keyId, userId, patch, expected, audit) => {
      if (update === undefined) return unsupported()
      const result: unknown = await call('update', () =>
        audit === undefined
          ? update(keyId, userId, patch, expected)
          : update(keyId, userId, patch, expected, audit),
      )
      if (result === null) return null
      const answer = result as KeyUpdateResult
      if (answer?.ok === true) {
        const record = sound(answer.record, 'update', userId)
        invalidate(record.hash)
        return { ok: true, record }
      }
      if (answer?.ok === false) {
        return { ok: false, reason: 'conflict', current: sound(answer.current, 'update', userId) }
      }
      throw deps.corrupt('store returned a malformed update result', { keyId })
    },

    listPage: async (userId, query) => {
      if (listPage === undefined) return unsupported()
      const records: unknown = await call('listPage', () => listPage(userId, query))
      if (!Array.isArray(records)) throw deps.corrupt('store returned a corrupt page', { userId })
      return records.map((r) => sound(r, 'listPage', userId))
    },

    insertCapped: async (record, cap, audit) => {
      if (insertCapped === undefined) return unsupported()
      const inserted: unknown = await call('insertCapped', () =>
        audit === undefined ? insertCapped(record, cap) : insertCapped(record, cap, audit),
      )
      if (typeof inserted !== 'boolean') {
        throw deps.corrupt('store returned a malformed insertCapped result', { keyId: record.id })
      }
      return inserted
    },
  }
}

type Sound = (value: unknown, operation: string, userId?: string) => ApiKeyRecord

// `roll` and `startRollGrace`, guarded.
function guardRoll(
  store: KeyStore,
  deps: LifecycleGuardDeps,
  sound: Sound,
): Pick<GuardedLifecycle, 'roll' | 'startRollGrace'> {
  const { call, invalidate } = deps
  const roll = store.roll?.bind(store)
  const startRollGrace = store.startRollGrace?.bind(store)
  return {
    roll: async (request, audit) => {
      if (roll === undefined) return unsupported()
      const result: unknown = await call('roll', () =>
        audit === undefined ? roll(request) : roll(request, audit),
      )
      if (result === null) return null
      const answer = result as KeyRollResult
      if (answer?.ok === true) {
        const previous = sound(answer.previous, 'roll', request.userId)
        const next = sound(answer.next, 'roll', request.userId)
        invalidate(previous.hash)
        invalidate(next.hash)
        const ended = answer.ended == null ? null : sound(answer.ended, 'roll', request.userId)
        if (ended !== null) invalidate(ended.hash)
        return { ok: true, previous, next, ended }
      }
      if (answer?.ok === false) {
        return { ok: false, reason: answer.reason, current: sound(answer.current, 'roll') }
      }
      throw deps.corrupt('store returned a malformed roll result', { keyId: request.keyId })
    },

    startRollGrace: (keyId, at, onFailure) => {
      if (startRollGrace === undefined) return
      call('startRollGrace', () => startRollGrace(keyId, at)).then(
        (old: unknown) => {
          const hash = (old as ApiKeyRecord | null)?.hash
          if (typeof hash === 'string') invalidate(hash)
        },
        (error: unknown) => {
          deps.logger.warn('starting a roll grace failed', { keyId, error: describeError(error) })
          onFailure()
        },
      )
    },
  }
}
