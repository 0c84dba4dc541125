/**
 * How the Hono adapter's guard reads a request: accessors over Hono's `Context` for
 * `createRequestGuard`, and the two headers the guard reads, looked up one by one.
 * @module
 */
import type { Context } from 'hono'
import { type RequestAccessors, webRequestAccessorsFor } from '../../../src/http/index.js'

/** The Hono adapter's `clientAddress` option: the client's address from the context. */
export type HonoClientAddress = (c: Context) => string | undefined

// The headers are read by name (`WebHeadersByName`: `authorization`, and `x-forwarded-for` only
// for the client address), with `Headers.get`, as a hand-written Hono middleware reads them
// (`c.req.header(name)`). Enumerating the `Headers` instead (`forEach`, what `webHeaders` does)
// makes @hono/node-server build a full undici `Headers` from the Node request on every request,
// which it otherwise never builds: about 1.8 % of the server's profile under load
// (docs/benchmarks.md, "Hono adapter"). Pinned by test/adapters/hono-hit-path.test.ts.

/** The accessors for a `requireApiKey` with `resolver` as its `clientAddress` option. */
export const honoRequestAccessors: (
  resolver: HonoClientAddress | undefined,
) => RequestAccessors<Context> = webRequestAccessorsFor<Context>((c) => c.req.raw)
