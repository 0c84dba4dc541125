/**
 * The web-standard (`Request`/`Response`) side of the kit: what the fetch, Hono and Next.js
 * adapters translate with, so that they answer byte for byte like the Node ones. Uses only web
 * APIs (no `Buffer`, no streams of Node), so it runs on Bun, Deno and workerd.
 * @module
 */
import { AuthError } from '../errors.js'
import type { GuardedRequest } from './authenticate-request.js'
import { describeArgument } from './check-arguments.js'
import { clientAddressOf } from './client-address.js'
import type { AuthRequest, AuthRequestHeaders, AuthResponse } from './types.js'

/**
 * A web `Request`'s headers as the kit reads them: lower-case names, one string each. `Headers`
 * joins repeated lines with `", "`, so two `Authorization` lines arrive as one comma-joined value,
 * which the Bearer parser refuses (401 `INVALID_FORMAT`): never an authentication.
 *
 * @example
 * ```ts
 * const result = await guard({ headers: webHeaders(request.headers) })
 * ```
 */
export function webHeaders(headers: Headers): AuthRequestHeaders {
  const record: Record<string, string> = {}
  headers.forEach((value, name) => {
    record[name] = value
  })
  return record
}

/**
 * Resolves the client address of a web `Request`, for the `auth.denied` and `key.*` events. Web
 * runtimes have no standard for it: pass what your platform trusts (Cloudflare's
 * `CF-Connecting-IP`, the address your server hands you, `X-Forwarded-For` only behind a proxy
 * you control). Called only when an event needs the address; a resolver that throws or returns
 * anything but a string leaves the address out.
 *
 * @example
 * ```ts
 * const clientAddress: WebClientAddress = (request) =>
 *   request.headers.get('cf-connecting-ip') ?? undefined
 * ```
 */
export type WebClientAddress = (request: Request) => string | undefined

/** The option of the web adapters (fetch, Next.js) that says how to find the client address. */
export interface WebClientAddressOption {
  /**
   * Resolves the client's address for the `auth.denied` and `key.*` events (web runtimes have no
   * standard one): e.g. `(request) => request.headers.get('cf-connecting-ip') ?? undefined` on
   * Cloudflare. Read `X-Forwarded-For` only behind a proxy you control. Without it, events carry
   * the method and path only.
   */
  clientAddress?: WebClientAddress
}

/**
 * Checks a web adapter's `clientAddress` option once, at set-up: a function or nothing.
 * @internal
 */
export function checkWebClientAddress<F>(value: F | undefined, call: string): F | undefined {
  if (value === undefined || typeof value === 'function') return value
  throw new AuthError('CONFIGURATION_ERROR', {
    message: `${call}: clientAddress must be a function of the request returning a string, got ${describeArgument(value)}`,
  })
}

/**
 * Calls a `clientAddress` resolver: its string, or `undefined` when there is no resolver, it
 * throws, or it returns anything else. Never throws.
 * @internal
 */
export function resolveClientAddress<T>(
  resolver: ((source: T) => string | undefined) | undefined,
  source: T,
): string | undefined {
  if (resolver === undefined) return undefined
  try {
    const address: unknown = resolver(source)
    return typeof address === 'string' ? address : undefined
  } catch {
    return undefined
  }
}

// What a guard reads of a web `Request`. A class, so that the path and the client address (read
// only for an `auth.denied` event) are getters on the prototype, not closures per request.
class GuardedWebRequest {
  readonly headers: AuthRequestHeaders
  readonly method: string
  readonly source: Request
  readonly #clientAddress: WebClientAddress | undefined
  readonly #trustProxy: number
  constructor(source: Request, clientAddress: WebClientAddress | undefined, trustProxy: number) {
    this.source = source
    this.headers = webHeaders(source.headers)
    this.method = source.method.toUpperCase()
    this.#clientAddress = clientAddress
    this.#trustProxy = trustProxy
  }
  get path(): string {
    return new URL(this.source.url).pathname
  }
  // The resolver gives the peer; behind trusted proxies, X-Forwarded-For decides (client-address.ts).
  get clientAddress(): string | undefined {
    const peer = resolveClientAddress(this.#clientAddress, this.source)
    return clientAddressOf(peer, this.headers, this.#trustProxy)
  }
}

/**
 * What a guard (`createApiKeyGuard`) reads of a web `Request`: its headers, and for the
 * `auth.denied` event its method, path (parsed from the URL only if an event asks for it) and,
 * with a `clientAddress` resolver, the client's address: the resolver's answer (the runtime's
 * peer), or behind `trustProxy` proxies the address `X-Forwarded-For` names there
 * (`clientAddressOf`; docs/limits.md, "Client address").
 *
 * @example
 * ```ts
 * const result = await guard(guardedWebRequest(request))
 * ```
 */
export function guardedWebRequest(
  request: Request,
  clientAddress?: WebClientAddress,
  trustProxy = 0,
): GuardedRequest {
  return new GuardedWebRequest(request, clientAddress, trustProxy)
}

/**
 * Reads a web body stream, at most `limit` bytes. Resolves `null` as soon as it is known to be
 * longer (from `Content-Length`, or while reading); the stream is then cancelled, never buffered
 * past the limit. A request without a body reads as no bytes.
 *
 * @example
 * ```ts
 * const raw = await readWebBody(request, MAX_BODY_BYTES)
 * if (raw === null) return new Response(null, { status: 413 })
 * ```
 */
export async function readWebBody(
  request: Pick<Request, 'body' | 'headers'>,
  limit: number,
): Promise<Uint8Array | null> {
  const body = request.body
  if (body === null) return new Uint8Array()
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (Number.isFinite(declared) && declared > limit) {
    await body.cancel().catch(() => {})
    return null
  }
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      // Whatever the client still sends is dropped by the runtime, not held here.
      await reader.cancel().catch(() => {})
      return null
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

/**
 * A web `Request` as the kit's {@link AuthRequest}, for `createApiKeyRoutes`. `path` defaults to
 * the URL's path (still percent-encoded, as Express and Koa hand it over); pass the part below
 * where your routes are mounted when they are mounted under a prefix. `clientAddress` resolves
 * the address the key routes put in their events ({@link WebClientAddress}), read through
 * `X-Forwarded-For` behind `trustProxy` proxies as the guards do.
 *
 * @example
 * ```ts
 * const response = await routes(fromWebRequest(request))
 * ```
 */
export function fromWebRequest(
  request: Request,
  path?: string,
  clientAddress?: WebClientAddress,
  trustProxy = 0,
): AuthRequest {
  const url = new URL(request.url)
  const headers = webHeaders(request.headers)
  const address = clientAddressOf(resolveClientAddress(clientAddress, request), headers, trustProxy)
  return {
    ...(address === undefined ? {} : { clientAddress: address }),
    method: request.method.toUpperCase(),
    path: path ?? url.pathname,
    query: url.search.slice(1),
    // A `Request` built in code (a test, a Next.js handler call) may lack `Host`: its URL is its
    // own origin, which the CSRF check compares `Origin` with.
    headers: headers.host === undefined ? { ...headers, host: url.host } : headers,
    protocol: url.protocol.slice(0, -1),
    readBody: (limit) => readWebBody(request, limit),
  }
}

/**
 * The kit's {@link AuthResponse} as a web `Response`: the status, every header, and `text` as is
 * or else `JSON.stringify(body)`; no body for `HEAD`.
 *
 * @example
 * ```ts
 * if (!result.ok) return toWebResponse(result.response, request.method)
 * ```
 */
export function toWebResponse(response: AuthResponse, method = 'GET'): Response {
  const body =
    method.toUpperCase() === 'HEAD' ? null : (response.text ?? JSON.stringify(response.body))
  return new Response(body, { status: response.status, headers: response.headers })
}
