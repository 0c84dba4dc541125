/**
 * How the Hono adapter's guard reads a request: accessors over Hono's `Context` for
 * `createRequestGuard`, and the two headers the guard reads, looked up one by one.
 * @module
 */
import type { Context } from 'hono'
import {
  type AuthRequestHeaders,
  type RequestAccessors,
  resolveClientAddress,
  WebHeadersByName,
} from '../../../src/http/index.js'

/** The Hono adapter's `clientAddress` option: the client's address from the context. */
export type HonoClientAddress = (c: Context) => string | undefined

// The headers are read by name (`WebHeadersByName`: `authorization`, and `x-forwarded-for` only
// for the client address), with `Headers.get`, as a hand-written Hono middleware reads them
// (`c.req.header(name)`). Enumerating the `Headers` instead (`forEach`, what `webHeaders` does)
// makes @hono/node-server build a full undici `Headers` from the Node request on every request,
// which it otherwise never builds: about 1.8 % of the server's profile under load
// (docs/benchmarks.md, "Hono adapter"). Pinned by test/adapters/hono-hit-path.test.ts.
function accessorsOf(resolver: HonoClientAddress | undefined): RequestAccessors<Context> {
  return {
    headers: (c): AuthRequestHeaders => new WebHeadersByName(c.req.raw.headers),
    // Web requests have no raw header list: duplicates arrive joined, and the joined value is
    // refused (WebHeadersByName).
    rawHeaders: () => undefined,
    method: (c) => c.req.raw.method.toUpperCase(),
    // Still percent-encoded, as the other adapters report it.
    path: (c) => new URL(c.req.raw.url).pathname,
    // The resolver's answer is the peer; `createRequestGuard` applies the library's one rule
    // (X-Forwarded-For only behind `limits.failedAuth.trustProxy` proxies).
    socketAddress: (c) => resolveClientAddress(resolver, c),
  }
}

// `createRequestGuard` makes one view class per accessors object, and the verifier sees one
// shape per class: so the accessors are made once without a resolver and once per resolver
// function, never per route (an app passing one resolver to every route has two classes at most).
const WITHOUT_RESOLVER = accessorsOf(undefined)
const byResolver = new WeakMap<HonoClientAddress, RequestAccessors<Context>>()

/** The accessors for a `requireApiKey` with `resolver` as its `clientAddress` option. */
export function honoRequestAccessors(
  resolver: HonoClientAddress | undefined,
): RequestAccessors<Context> {
  if (resolver === undefined) return WITHOUT_RESOLVER
  let accessors = byResolver.get(resolver)
  if (accessors === undefined) {
    accessors = accessorsOf(resolver)
    byResolver.set(resolver, accessors)
  }
  return accessors
}
