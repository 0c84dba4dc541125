/**
 * How a guard reads a web `Request`: `createRequestGuard` accessors for the fetch and Next.js
 * adapters, and the header view they share with the Hono adapter, which reads the two headers a
 * guard needs by name instead of copying them all.
 * @module
 */
import { resolveClientAddress, type WebClientAddress } from './web.js'
import type { RequestAccessors } from './request-guard.js'
import type { AuthRequestHeaders } from './types.js'

/**
 * A web `Headers` as the guard reads it: `authorization` on every request, `x-forwarded-for`
 * only for the client address (an event, failed-authentication throttling), each looked up with
 * `Headers.get` when read. Copying every header into a record instead (`webHeaders`) costs an
 * entry per header per request, and on `@hono/node-server` makes the request build a full
 * `Headers` from the Node request, which it otherwise never builds (docs/benchmarks.md, "Hono
 * adapter"). `Headers` joins repeated lines with `", "`, so two `Authorization` lines read as one
 * value that the Bearer parser refuses (401 `INVALID_FORMAT`), never an authentication.
 * @internal
 */
export class WebHeadersByName {
  /** Any other header: not read by a guard, so never looked up. */
  readonly [name: string]: string | undefined
  readonly #headers: Headers
  /** A view over `headers`; nothing is read until a getter is. */
  constructor(headers: Headers) {
    this.#headers = headers
  }
  /** `Authorization`, or `undefined`; two lines arrive joined with `", "`. */
  get authorization(): string | undefined {
    return this.#headers.get('authorization') ?? undefined
  }
  /** `X-Forwarded-For`, read only for the client address behind trusted proxies. */
  get 'x-forwarded-for'(): string | undefined {
    return this.#headers.get('x-forwarded-for') ?? undefined
  }
}

/**
 * `createRequestGuard` accessors over any value that carries a web `Request` (`request` reaches
 * it: the `Request` itself for fetch and Next.js, `c.req.raw` of a Hono `Context`), for a
 * `clientAddress` resolver of that value (or none). `createRequestGuard` makes one view class
 * per accessors object, and the verifier sees one shape per class: so the accessors are made once
 * without a resolver and once per resolver function, never per route (an app passing one
 * resolver to every route has two classes at most).
 * @internal
 */
export function webRequestAccessorsFor<T>(
  request: (source: T) => Request,
): (resolver: ((source: T) => string | undefined) | undefined) => RequestAccessors<T> {
  const accessorsOf = (
    resolver: ((source: T) => string | undefined) | undefined,
  ): RequestAccessors<T> => ({
    headers: (source): AuthRequestHeaders => new WebHeadersByName(request(source).headers),
    // Web requests have no raw header list: duplicates arrive joined (see WebHeadersByName).
    rawHeaders: () => undefined,
    method: (source) => request(source).method.toUpperCase(),
    // Still percent-encoded, as the other adapters report it; parsed only for an event.
    path: (source) => new URL(request(source).url).pathname,
    // The resolver's answer is the peer; `createRequestGuard` applies the library's one rule
    // (X-Forwarded-For only behind `limits.failedAuth.trustProxy` proxies).
    socketAddress: (source) => resolveClientAddress(resolver, source),
  })
  const withoutResolver = accessorsOf(undefined)
  const byResolver = new WeakMap<(source: T) => string | undefined, RequestAccessors<T>>()
  return (resolver) => {
    if (resolver === undefined) return withoutResolver
    let accessors = byResolver.get(resolver)
    if (accessors === undefined) {
      accessors = accessorsOf(resolver)
      byResolver.set(resolver, accessors)
    }
    return accessors
  }
}

/**
 * The `createRequestGuard` accessors of a web `Request`, for a `clientAddress` resolver (or
 * none): the fetch and Next.js adapters' `requireApiKey`/`withApiKey`.
 * @internal
 */
export const webRequestAccessors: (
  resolver: WebClientAddress | undefined,
) => RequestAccessors<Request> = webRequestAccessorsFor<Request>((request) => request)
