/**
 * The lifecycle half of the service's interface (roll, disable/enable, update, paged list),
 * wired from its parts; `createApiKeyAuth` spreads it in. Internal: not exported.
 * @module
 */
import { keyHead } from '../api-key.js'
import { AuthError } from '../errors.js'
import type { ResolvedAuthOptions } from '../options/types.js'
import type { ApiKeyAuth } from './api-key-auth.js'
import type { ServiceClock } from './clock.js'
import type { GuardedStore } from './guarded-store.js'
import { createKeyLifecycle } from './key-lifecycle.js'
import { createKeyLister } from './key-listing.js'
import { createKeyUpdater } from './key-update.js'
import type { KeyEvents } from './key-events.js'
import { withLifecycleEvents } from './lifecycle-events.js'
import type { ScopeRegistry } from './scope-registry.js'
import type { AuditLog } from './audit-log.js'
import { createEventLister } from './audit-listing.js'

/** What {@link createLifecycleApi} needs. */
export interface LifecycleApiDeps {
  opts: ResolvedAuthOptions
  /** Whether the application set `maxRollGraceMs` itself (a store without `roll` refuses it). */
  maxRollGraceMsGiven: boolean
  hash: (key: string) => string
  clock: ServiceClock
  store: GuardedStore
  registry: ScopeRegistry
  /** Emitters of the lifecycle events. */
  events: KeyEvents
  /** The audit log the changes are recorded in and `listEvents` reads. */
  audit: AuditLog
}

/**
 * The lifecycle operations. @throws `CONFIGURATION_ERROR` when `maxRollGraceMs` is set and the
 * store cannot roll.
 */
export function createLifecycleApi(
  deps: LifecycleApiDeps,
): Pick<
  ApiKeyAuth,
  'rollKey' | 'disableKey' | 'enableKey' | 'updateKey' | 'listKeyPage' | 'listEvents'
> {
  const { opts, clock, store } = deps
  if (deps.maxRollGraceMsGiven && !store.capabilities.roll) {
    throw new AuthError('CONFIGURATION_ERROR', {
      message: 'maxRollGraceMs is set, but the store cannot roll keys (it has no roll method)',
    })
  }
  const { audit } = deps
  const lifecycle = createKeyLifecycle({ ...opts, hash: deps.hash, clock, store, audit })
  const methods = {
    rollKey: lifecycle.rollKey,
    disableKey: lifecycle.disableKey,
    enableKey: lifecycle.enableKey,
    updateKey: createKeyUpdater({
      clock,
      store,
      lifecycle,
      registry: deps.registry,
      audit,
      defaults: opts.limits.defaults,
    }),
  }
  return {
    ...withLifecycleEvents(methods, lifecycle.findOwn, deps.events),
    listKeyPage: createKeyLister({ ...opts, clock, store }),
    listEvents: createEventLister({
      store: audit.store,
      findOwn: lifecycle.findOwn,
      timeoutMs: opts.storeTimeoutMs,
      logger: opts.logger,
    }),
  }
}

/** Key heads of the enabled owner kinds other than users (`vydra_live_org_`…); often none. */
export function otherOwnerHeads(opts: ResolvedAuthOptions): string[] {
  return opts.ownerTypes
    .filter((type) => type !== 'user')
    .map((type) => keyHead(opts.prefix, opts.environment, type))
}
