/**
 * The framework-neutral HTTP contract: what adapters hand to the core and get back.
 * @module
 */
import type { ApiKeyPrincipal } from '../types.js'

/** Request headers with lower-case names, as Node's `IncomingMessage.headers` holds them. */
export type AuthRequestHeaders = Readonly<Record<string, string | string[] | undefined>>

/** A request as the core sees it; adapters build one from their framework's request. */
export interface AuthRequest {
  /** HTTP method, upper case. */
  method: string
  /** Path without the query string, relative to where the adapter is mounted. */
  path: string
  /**
   * The raw query string without its `?` (`limit=50&cursor=…`), read by the key list's
   * pagination and the revocation `reason`; absent is the same as empty.
   */
  query?: string
  /** Headers, lower-case names. */
  headers: AuthRequestHeaders
  /** Node's flat raw header list (`name, value, name, value…`), to see duplicate lines. */
  rawHeaders?: readonly string[]
  /** `'http'` or `'https'`: with `Host`, the request's own origin for the CSRF check. */
  protocol?: string
  /** Cookies; parsed from the `Cookie` header when absent. */
  cookies?: Readonly<Record<string, string>>
  /** A body a framework parser already read; `undefined` makes the core call `readBody`. */
  body?: unknown
  /** Reads the raw body, at most `limit` bytes; resolves `null` when it is longer. */
  readBody?: (limit: number) => Promise<Uint8Array | null>
  /**
   * The client's address, for events and failed-authentication throttling. The adapters resolve
   * it with `clientAddressOf` (the socket's peer, or `X-Forwarded-For` behind
   * `limits.failedAuth.trustProxy` proxies: docs/limits.md, "Client address"). A getter is
   * fine: it is read only when an event is built or throttling is on.
   */
  clientAddress?: string
}

/**
 * A response for the adapter to send: `text` as is when present (the key page's HTML, script
 * and stylesheet), else `body` JSON-serialised with `JSON.stringify`.
 */
export interface AuthResponse {
  /** HTTP status code. */
  status: number
  /** Headers, lower-case names. */
  headers: Record<string, string>
  /** A JSON value. */
  body: unknown
  /** A body to send as is instead of `body` (its `content-type` is in `headers`). */
  text?: string
}

/**
 * Result of authenticating a request: the principal (and, when a usage limit applies, the
 * `RateLimit` headers to add to the response), or the response to send instead.
 */
export type AuthResult =
  | { ok: true; principal: ApiKeyPrincipal; headers?: Record<string, string> }
  | { ok: false; response: AuthResponse }

/**
 * Result of an optional authentication (`requireApiKey(auth, { optional: true })`): as
 * {@link AuthResult}, or `principal: null` when the request carried no `Authorization` header.
 */
export type OptionalAuthResult = AuthResult | { ok: true; principal: null }
