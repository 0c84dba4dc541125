/**
 * The web-standard (`Request`/`Response`) side of the kit: what the fetch, Hono and Next.js
 * adapters translate with, so that they answer byte for byte like the Node ones. Uses only web
 * APIs (no `Buffer`, no streams of Node), so it runs on Bun, Deno and workerd.
 * @module
 */
import type { GuardedRequest } from './authenticate-request.js'
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
 * What a guard (`createApiKeyGuard`) reads of a web `Request`: its headers, and its method and
 * path for the `auth.denied` event (the path is parsed only if an event asks for it).
 *
 * @example
 * ```ts
 * const result = await guard(guardedWebRequest(request))
 * ```
 */
export function guardedWebRequest(request: Request): GuardedRequest {
  return new GuardedWebRequest(request)
}

// A class, so that the method and the path (read only for an `auth.denied` event) are getters on
// the prototype: an object literal with a getter, built per request, is a closure and a
// slow-mode object each time, which cost the Node adapters about 20 % of their throughput
// (docs/benchmarks.md). Pinned in test/hot-path.test.ts.
class GuardedWebRequest implements GuardedRequest {
  readonly headers: AuthRequestHeaders
  readonly #source: Request
  constructor(source: Request) {
    this.#source = source
    this.headers = webHeaders(source.headers)
  }
  get method(): string {
    return this.#source.method.toUpperCase()
  }
  get path(): string {
    return new URL(this.#source.url).pathname
  }
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
 * where your routes are mounted when they are mounted under a prefix.
 *
 * @example
 * ```ts
 * const response = await routes(fromWebRequest(request))
 * ```
 */
export function fromWebRequest(request: Request, path?: string): AuthRequest {
  const url = new URL(request.url)
  const headers = webHeaders(request.headers)
  return {
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
