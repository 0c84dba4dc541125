/**
 * The service's event vocabulary: one payload type per event name. Payloads say who and what
 * (key id, owner, display prefix, actor, reason, request metadata), never a key, a secret, a
 * digest, a cookie or a token. Subscribe with `auth.on(name, listener)`.
 * @module
 */

/** What an adapter knows of the request behind an event. Every field is optional. */
export interface RequestMetadata {
  /** HTTP method, upper case. */
  method?: string
  /** Path without the query string, as the adapter sees it. */
  path?: string
  /**
   * The client's address as the framework resolves it under its own trusted-proxy setting
   * (Express `req.ip` with `trust proxy`, Fastify `request.ip` with `trustProxy`, Koa `ctx.ip`
   * with `app.proxy`); never read from a header by this library.
   */
  clientAddress?: string
}

/**
 * Who made a management change: a session user, a key holding `*` (its id), or the library
 * itself (`system`: expiry, leak handling).
 */
export type EventActor =
  { type: 'user'; id: string } | { type: 'key'; id: string } | { type: 'system'; id: string }

/** Fields of every event about one key. */
export interface KeyEventBase {
  /** When the event happened, on the service clock. */
  at: Date
  /** UUID of the key. */
  keyId: string
  /** Owner of the key. */
  userId: string
  /** Display form of the key (`vydra_live_user_abc_X7kM...`), never the key. */
  keyPrefix: string
  /** Who made the change; `null` when the caller did not say. */
  actor: EventActor | null
  /** The request behind the change, when it came through the HTTP layer. */
  request: RequestMetadata | null
}

/** `key.created`: a key was issued. */
export interface KeyCreatedEvent extends KeyEventBase {
  name: string
  scopes: readonly string[]
  expiresAt: Date | null
}

/** `key.revoked`: a key was revoked (the first time; revoking again emits nothing). */
export interface KeyRevokedEvent extends KeyEventBase {
  /** Why, when the caller or the library said (`'leaked'`, a free text, …); else `null`. */
  reason: string | null
}

/** `key.rolled`: a key was replaced by a new one (issue 11). */
export interface KeyRolledEvent extends KeyEventBase {
  /** UUID of the replacement key. */
  newKeyId: string
  /** Display form of the replacement key. */
  newKeyPrefix: string
  /** Until when the old key keeps working; `null` when it stopped at once. */
  graceUntil: Date | null
}

/** `key.updated`: a key's name, scopes, expiry or metadata changed (issue 11). */
export interface KeyUpdatedEvent extends KeyEventBase {
  /** Names of the fields that changed, e.g. `['name', 'scopes']`; never their secret values. */
  changes: readonly string[]
}

/** `key.disabled` / `key.enabled`: a key was suspended or resumed (issue 11). */
export interface KeyStateEvent extends KeyEventBase {
  reason: string | null
}

/** `key.leaked`: a key was reported as exposed (issue 13). */
export interface KeyLeakedEvent extends KeyEventBase {
  /** Who reported it, e.g. `'github'`. */
  source: string
  /** Where it was found, when the report says (a public URL); else `null`. */
  url: string | null
  /** Whether the library revoked it. */
  revoked: boolean
}

/** `key.expiring`: a key crosses a warning threshold before its expiry. */
export interface KeyExpiringEvent extends KeyEventBase {
  expiresAt: Date
  /** The threshold crossed, as given, e.g. `'14d'`. */
  threshold: string
}

/** `key.expired`: a key reached its expiry. */
export interface KeyExpiredEvent extends KeyEventBase {
  expiresAt: Date
}

/**
 * `auth.denied`: a verification refused a key or a header. The key's id, owner and prefix are
 * set only when the key is a known one; nothing of an unknown presented key is ever included.
 */
export interface AuthDeniedEvent {
  at: Date
  /** The `AuthError` code, e.g. `'KEY_REVOKED'`, `'INSUFFICIENT_SCOPE'`, `'AUTH_UNAVAILABLE'`. */
  code: string
  /** The error's finer fixed reason (`'store_timeout'`, `'duplicate_header'`…), or `null`. */
  reason: string | null
  keyId: string | null
  userId: string | null
  keyPrefix: string | null
  /** The scopes the route required. */
  requiredScopes: readonly string[]
  request: RequestMetadata | null
}

/** `limit.hit`: a rate limit or a credit balance refused a request (`auth.chargeLimits`). */
export interface LimitHitEvent {
  at: Date
  keyId: string
  userId: string
  /** The key's display prefix; `null` only for a principal the service did not build. */
  keyPrefix: string | null
  /** Which limit, e.g. `'rate'` or `'credits'`. */
  limit: string
  /** When a retry may succeed, in milliseconds; `null` when it will not by waiting. */
  retryAfterMs: number | null
  /** Method, path and client address of the refused request, when the adapter knows them. */
  request: RequestMetadata | null
}

/**
 * `auth.throttled`: failed-authentication throttling (`limits.failedAuth`) began refusing a
 * client address: one more failed authentication from it was over the cap. Emitted once per
 * block and instance (the requests refused during the block, before any lookup, emit nothing
 * more: a flood must not become a flood of events). Nothing of the presented key is included.
 */
export interface AuthThrottledEvent {
  at: Date
  /** The policy that refused, as in the `RateLimit-Policy` header: `'failed-auth'`. */
  limit: string
  /** What is counted: the client address, or for an IPv6 address its /64 (`2001:db8:1:2::/64`). */
  subject: string
  /** How long the address is refused, in milliseconds. */
  retryAfterMs: number
  /** Method, path and client address of the request whose failure began the block. */
  request: RequestMetadata | null
}

/** Every event name and its payload. */
export interface AuthEventMap {
  'key.created': KeyCreatedEvent
  'key.revoked': KeyRevokedEvent
  'key.rolled': KeyRolledEvent
  'key.updated': KeyUpdatedEvent
  'key.disabled': KeyStateEvent
  'key.enabled': KeyStateEvent
  'key.leaked': KeyLeakedEvent
  'key.expiring': KeyExpiringEvent
  'key.expired': KeyExpiredEvent
  'auth.denied': AuthDeniedEvent
  'limit.hit': LimitHitEvent
  'auth.throttled': AuthThrottledEvent
}

/** An event name. */
export type AuthEventName = keyof AuthEventMap

/**
 * Receives one event. It runs after the request that caused it has been answered; what it
 * returns is ignored (a rejected promise is logged), and a throw is logged, never seen by the
 * request.
 */
export type AuthEventListener<N extends AuthEventName> = (
  event: AuthEvent<N>,
) => void | Promise<void>

/**
 * An event as listeners receive it: its payload with its `type`. For a union of names it is a
 * union discriminated by `type`.
 */
export type AuthEvent<N extends AuthEventName = AuthEventName> = {
  [K in N]: AuthEventMap[K] & { type: K }
}[N]

/** The names, for validation and iteration. */
export const AUTH_EVENT_NAMES: readonly AuthEventName[] = Object.freeze([
  'key.created',
  'key.revoked',
  'key.rolled',
  'key.updated',
  'key.disabled',
  'key.enabled',
  'key.leaked',
  'key.expiring',
  'key.expired',
  'auth.denied',
  'limit.hit',
  'auth.throttled',
])
