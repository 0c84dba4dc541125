/**
 * Payloads of the events about keys and verifications, built from records and the caller's
 * context, and only when someone listens. Nothing here reads a key, a secret or a digest: the
 * payloads take the fields they name, never a record as a whole. Internal: not exported.
 * @module
 */
import { isAuthError } from '../errors.js'
import type { EventActor, KeyEventBase, RequestMetadata } from '../events.js'
import type { AuthEventName } from '../events.js'
import type { ApiKeyInfo } from '../types.js'
import type { ServiceClock } from './clock.js'
import type { EventBus } from './event-bus.js'
import type { LimitHitReporter } from './limiter.js'
import { keyPrefixOf } from './principal-prefix.js'
import type { CachedKey } from './verification-cache.js'

/**
 * Who asks for a management change and from where: the second argument of `createKey`,
 * `revokeKey` and the other management methods. The key routes fill it in.
 */
export interface ManagementContext {
  /** Who makes the change. */
  actor?: EventActor
  /** The request behind it. */
  request?: RequestMetadata
  /** Why, for revocations and other state changes; at most 200 characters are kept. */
  reason?: string
}

const MAX_TEXT = 200

// Copies only the documented string fields: a request object (an adapter's own, with getters,
// headers and cookies) never reaches a listener.
export function copyRequest(request: RequestMetadata | undefined): RequestMetadata | null {
  if (request === undefined || request === null || typeof request !== 'object') return null
  const copy: RequestMetadata = {}
  try {
    for (const field of ['method', 'path', 'clientAddress'] as const) {
      const value: unknown = request[field]
      if (typeof value === 'string') copy[field] = value.slice(0, 2048)
    }
  } catch {
    // A hostile getter: what was read so far is kept.
  }
  return Object.freeze(copy)
}

function copyActor(actor: EventActor | undefined): EventActor | null {
  if (actor === undefined || actor === null || typeof actor !== 'object') return null
  const { type, id } = actor
  if ((type !== 'user' && type !== 'key' && type !== 'system') || typeof id !== 'string') {
    return null
  }
  return Object.freeze({ type, id: id.slice(0, MAX_TEXT) })
}

/** The reason of a context, bounded; `null` when there is none. */
export function contextReason(context: ManagementContext | undefined): string | null {
  const reason = context?.reason
  return typeof reason === 'string' ? reason.slice(0, MAX_TEXT) : null
}

/** The fields every key event has. */
export function keyEventBase(
  key: Pick<ApiKeyInfo, 'id' | 'userId' | 'keyPrefix'>,
  at: number,
  context: ManagementContext | undefined,
): KeyEventBase {
  return {
    at: new Date(at),
    keyId: key.id,
    userId: key.userId,
    keyPrefix: key.keyPrefix,
    actor: copyActor(context?.actor),
    request: copyRequest(context?.request),
  }
}

// An event reports what already happened: a broken clock must not turn it into an error (the
// clock logs itself). Wall time instead.
function safeClock(clock: ServiceClock): () => number {
  return () => {
    try {
      return clock()
    } catch {
      return Date.now()
    }
  }
}

/** Emits `key.created` and `key.revoked` (and is where the other key events' emitters go). */
export interface KeyEvents {
  created(info: ApiKeyInfo, context: ManagementContext | undefined): void
  revoked(info: ApiKeyInfo, context: ManagementContext | undefined): void
  /** A key revoked as leaked (`revokeByKey` with the reason `'leaked'`); `url`: where found. */
  leaked(info: ApiKeyInfo, context: ManagementContext | undefined, url: string | null): void
  /** `key.rolled`: `previous` is the old key, `next` the new one. */
  rolled(
    previous: Pick<ApiKeyInfo, 'id' | 'userId' | 'keyPrefix'>,
    next: { id: string; keyPrefix: string; previous: { expiresAt: Date | null } },
    context: ManagementContext | undefined,
  ): void
  /** `key.disabled` or `key.enabled`. */
  stateChanged(
    name: 'key.disabled' | 'key.enabled',
    info: ApiKeyInfo,
    context: ManagementContext | undefined,
  ): void
  /** `key.updated` with the names of the fields changed. */
  updated(
    info: ApiKeyInfo,
    changes: readonly string[],
    context: ManagementContext | undefined,
  ): void
  /** Whether anyone listens to `name` (to skip a read that only an event needs). */
  wants(name: AuthEventName): boolean
}

/** Builds the key events' emitters over `bus`. */
export function createKeyEvents(bus: EventBus, clock: ServiceClock): KeyEvents {
  const now = safeClock(clock)
  return {
    created: (info, context) => {
      if (!bus.has('key.created')) return
      bus.emit('key.created', {
        ...keyEventBase(info, now(), context),
        name: info.name,
        scopes: Object.freeze([...info.scopes]),
        expiresAt: info.expiresAt,
      })
    },
    revoked: (info, context) => {
      if (!bus.has('key.revoked')) return
      bus.emit('key.revoked', {
        ...keyEventBase(info, now(), context),
        reason: contextReason(context),
      })
    },
    leaked: (info, context, url) => {
      if (!bus.has('key.leaked')) return
      bus.emit('key.leaked', {
        ...keyEventBase(info, now(), context),
        // The reporter (revokeByKey's `reportedBy`, e.g. 'github'), carried as the actor id.
        source: context?.actor?.id ?? 'revokeByKey',
        url: typeof url === 'string' ? url.slice(0, 2048) : null,
        revoked: true,
      })
    },
    rolled: (previous, next, context) => {
      if (!bus.has('key.rolled')) return
      bus.emit('key.rolled', {
        ...keyEventBase(previous, now(), context),
        newKeyId: next.id,
        newKeyPrefix: next.keyPrefix,
        graceUntil: next.previous.expiresAt,
      })
    },
    stateChanged: (name, info, context) => {
      if (!bus.has(name)) return
      bus.emit(name, { ...keyEventBase(info, now(), context), reason: contextReason(context) })
    },
    updated: (info, changes, context) => {
      if (!bus.has('key.updated') || changes.length === 0) return
      bus.emit('key.updated', {
        ...keyEventBase(info, now(), context),
        changes: Object.freeze([...changes]),
      })
    },
    wants: (name) => bus.has(name),
  }
}

/** Builds the `limit.hit` reporter over `bus`. */
export function createLimitHitReporter(bus: EventBus, clock: ServiceClock): LimitHitReporter {
  const now = safeClock(clock)
  return (principal, outcome, request) => {
    if (!bus.has('limit.hit')) return
    const { retryAfterMs } = outcome
    bus.emit('limit.hit', {
      at: new Date(now()),
      keyId: principal.keyId,
      userId: principal.userId,
      keyPrefix: keyPrefixOf(principal),
      limit: outcome.deniedBy === 'credits' ? 'credits' : 'rate',
      retryAfterMs: retryAfterMs === undefined ? null : Math.max(0, Math.ceil(retryAfterMs)),
      request: copyRequest(request),
    })
  }
}

/** Reports the start of a failed-authentication block (`auth.throttled`). */
export type ThrottleReporter = (
  subject: string,
  retryAfterMs: number,
  request: RequestMetadata | undefined,
) => void

/** Builds the `auth.throttled` reporter over `bus`. */
export function createThrottleReporter(bus: EventBus, clock: ServiceClock): ThrottleReporter {
  const now = safeClock(clock)
  return (subject, retryAfterMs, request) => {
    if (!bus.has('auth.throttled')) return
    bus.emit('auth.throttled', {
      at: new Date(now()),
      limit: 'failed-auth',
      subject,
      retryAfterMs: Math.max(0, Math.ceil(retryAfterMs)),
      request: copyRequest(request),
    })
  }
}

/** Reports a refused verification as `auth.denied`, when anyone listens. */
export type DenialReporter = (
  error: unknown,
  cached: CachedKey | undefined,
  scopes: unknown,
  request: RequestMetadata | undefined,
  now: number,
) => void

/** Builds the `auth.denied` reporter over `bus`. */
export function createDenialReporter(bus: EventBus, clock: ServiceClock): DenialReporter {
  const safeNow = safeClock(clock)
  return (error, cached, scopes, request, now) => {
    if (!bus.has('auth.denied')) return
    const at = Number.isFinite(now) ? now : safeNow()
    bus.emit('auth.denied', {
      at: new Date(at),
      code: isAuthError(error) ? error.code : 'AUTH_UNAVAILABLE',
      reason: isAuthError(error) ? (error.reason ?? null) : null,
      keyId: cached?.principal.keyId ?? null,
      userId: cached?.principal.userId ?? null,
      keyPrefix: cached?.keyPrefix ?? null,
      requiredScopes: Array.isArray(scopes)
        ? Object.freeze(scopes.filter((s): s is string => typeof s === 'string'))
        : Object.freeze([]),
      request: copyRequest(request),
    })
  }
}
