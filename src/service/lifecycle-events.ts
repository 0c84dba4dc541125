/**
 * `key.rolled`, `key.disabled`, `key.enabled` and `key.updated`: the lifecycle operations
 * wrapped so that each successful change is reported. The extra read that tells a change from a
 * repeat (disable twice) and finds the old key's prefix runs only when someone listens.
 * Internal: not exported from the package.
 * @module
 */
import type { ApiKeyRecord } from '../types.js'
import type { ApiKeyAuth } from './api-key-auth.js'
import type { KeyEvents, ManagementContext } from './key-events.js'
import type { KeyLifecycle, KeyRefInput } from './key-lifecycle.js'

type LifecycleMethods = Pick<ApiKeyAuth, 'rollKey' | 'disableKey' | 'enableKey' | 'updateKey'>

const UPDATABLE = ['name', 'metadata', 'scopes', 'expiresAt', 'limits'] as const

/** Wraps `api` to emit through `events`; `findOwn` reads a key's record before or after. */
export function withLifecycleEvents(
  api: LifecycleMethods,
  findOwn: KeyLifecycle['findOwn'],
  events: KeyEvents,
): LifecycleMethods {
  // The record, for an event only: a failed read costs the event, never the change.
  const read = (input: KeyRefInput): Promise<ApiKeyRecord | null> =>
    findOwn(input).then(
      ({ record }) => record,
      () => null,
    )

  const setState =
    (method: 'disableKey' | 'enableKey', disable: boolean) =>
    async (input: KeyRefInput, context?: ManagementContext) => {
      const name = disable ? 'key.disabled' : 'key.enabled'
      const before = events.wants(name) ? await read(input) : null
      const info = await api[method](input, context)
      // Records of stores without the lifecycle fields have no `disabledAt` at all: not disabled.
      if (before !== null && ((before.disabledAt ?? null) === null) === disable) {
        events.stateChanged(name, info, context)
      }
      return info
    }

  return {
    rollKey: async (input, context?: ManagementContext) => {
      const rolled = await api.rollKey(input, context)
      if (events.wants('key.rolled')) {
        const previous = await read({ ...input, keyId: rolled.previous.id })
        const actor = typeof input.actorId === 'string' ? input.actorId : undefined
        const withActor: ManagementContext | undefined =
          context ?? (actor === undefined ? undefined : { actor: { type: 'user', id: actor } })
        if (previous !== null) events.rolled(previous, rolled, withActor)
      }
      return rolled
    },
    disableKey: setState('disableKey', true),
    enableKey: setState('enableKey', false),
    updateKey: async (input, context?: ManagementContext) => {
      const info = await api.updateKey(input, context)
      const changes = UPDATABLE.filter((field) => input[field] !== undefined)
      events.updated(info, changes, context)
      return info
    },
  }
}
