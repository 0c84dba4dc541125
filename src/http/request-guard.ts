/**
 * The adapter kit's guard over a framework's own request object: `createRequestGuard`, read
 * through accessors an adapter gives once, and answering in the same turn on a cache hit.
 * @module
 */
import type { ApiKeyAuth } from '../create-api-key-auth.js'
import { AuthError } from '../errors.js'
import type { RequiredScopes } from '../scope.js'
import {
  ANONYMOUS,
  type ApiKeyGuardOptions,
  type GuardPlan,
  guardRequest,
  hasNoAuthorization,
  planGuard,
} from './authenticate-request.js'
import { describeArgument } from './check-arguments.js'
import { clientAddressOf, trustedProxies } from './client-address.js'
import type { AuthRequestHeaders, AuthResult, OptionalAuthResult } from './types.js'

/**
 * How a guard reads a framework's request (`R`): given once per adapter, so a request costs no
 * object built for it but one small view (see {@link createRequestGuard}). Only `headers` and
 * `rawHeaders` are read on every request; the others only for an `auth.denied` event.
 */
export interface RequestAccessors<R> {
  /** Headers with lower-case names, as Node's `IncomingMessage.headers` holds them. */
  headers(request: R): AuthRequestHeaders
  /** Node's flat raw header list (`name, value, …`), to refuse duplicate `Authorization` lines. */
  rawHeaders(request: R): readonly string[] | undefined
  /** HTTP method, upper case. */
  method(request: R): string | undefined
  /** Path without the query string. */
  path(request: R): string | undefined
  /**
   * The socket's peer address (`req.socket.remoteAddress`). The guard resolves the client
   * address from it by the library's one rule (`clientAddressOf`: `X-Forwarded-For` only
   * behind `limits.failedAuth.trustProxy` proxies), never by the framework's own setting.
   */
  socketAddress(request: R): string | undefined
}

/**
 * Authenticates a framework's request; built by {@link createRequestGuard}. Never rejects, never
 * throws. Returns the result itself when it was decided in this turn (a cache hit, a malformed
 * header), else a promise of it: check with `instanceof Promise`, or `await` it either way.
 */
export type RequestGuard<R> = (request: R) => AuthResult | Promise<AuthResult>

/** {@link RequestGuard} with `optional: true`: `principal: null` without a header. */
export type OptionalRequestGuard<R> = (
  request: R,
) => OptionalAuthResult | Promise<OptionalAuthResult>

/**
 * A guard over a framework's own request: what `requireApiKey` of the Express, Fastify and Koa
 * adapters is built on. It takes the same options and makes the same checks at set-up as
 * `createApiKeyGuard`; a request is read through `accessors`, and a result decided without I/O
 * (a cache hit without limits to charge, a refusal) comes back in the same turn, so that the
 * adapter can call the framework's `next()` with no promise or microtask in between (a
 * measurable share of a request: docs/benchmarks.md).
 *
 * @example
 * ```ts
 * const guard = createRequestGuard(auth, { scopes: ['models:read'] }, {
 *   headers: (req: IncomingMessage) => req.headers,
 *   rawHeaders: (req) => req.rawHeaders,
 *   method: (req) => req.method,
 *   path: (req) => req.url?.split('?', 1)[0],
 *   socketAddress: (req) => req.socket.remoteAddress,
 * })
 * const result = await guard(req)
 * if (!result.ok) return send(result.response)
 * ```
 */
export function createRequestGuard<R>(
  auth: ApiKeyAuth,
  options: ApiKeyGuardOptions & { optional: true },
  accessors: RequestAccessors<R>,
): OptionalRequestGuard<R>
/** {@inheritDoc (createRequestGuard:1)} */
export function createRequestGuard<R>(
  auth: ApiKeyAuth,
  options: ApiKeyGuardOptions | undefined,
  accessors: RequestAccessors<R>,
): RequestGuard<R>
/** {@inheritDoc (createRequestGuard:1)} */
export function createRequestGuard<R>(
  auth: ApiKeyAuth,
  options: ApiKeyGuardOptions | undefined,
  accessors: RequestAccessors<R>,
): RequestGuard<R> | OptionalRequestGuard<R>
export function createRequestGuard<R>(
  auth: ApiKeyAuth,
  options: ApiKeyGuardOptions | undefined,
  accessors: RequestAccessors<R>,
): RequestGuard<R> | OptionalRequestGuard<R> {
  const plan: GuardPlan = planGuard(auth, options)
  checkAccessors(accessors)
  const View = viewOf(accessors)
  const { scopes } = plan
  const trust = trustedProxies(auth)
  if (!plan.optional) {
    return (request) => {
      const view = new View(request, scopes, trust)
      return guardRequest(plan, view, view)
    }
  }
  return (request) => {
    const view = new View(request, scopes, trust)
    return hasNoAuthorization(view) ? ANONYMOUS : guardRequest(plan, view, view)
  }
}

const ACCESSORS = ['headers', 'rawHeaders', 'method', 'path', 'socketAddress'] as const

// An adapter's mistake fails at set-up, saying what was expected, never on a request.
function checkAccessors(accessors: unknown): void {
  const missing = ACCESSORS.filter(
    (name) =>
      typeof accessors !== 'object' ||
      accessors === null ||
      typeof (accessors as Record<string, unknown>)[name] !== 'function',
  )
  if (missing.length > 0) {
    throw new AuthError('CONFIGURATION_ERROR', {
      message: `createRequestGuard: accessors must be an object of functions (${ACCESSORS.join(', ')}); missing or not a function: ${missing.join(', ')}, got ${describeArgument(accessors)}`,
    })
  }
}

/** One request as the guard and the verifier see it; see {@link viewOf}. */
interface RequestView {
  readonly scopes: RequiredScopes
  readonly request: RequestView
  readonly headers: AuthRequestHeaders
  readonly rawHeaders: readonly string[] | undefined
  readonly method: string | undefined
  readonly path: string | undefined
  readonly clientAddress: string | undefined
}

type RequestViewClass<R> = new (source: R, scopes: RequiredScopes, trust: number) => RequestView

const views = new WeakMap<object, RequestViewClass<never>>()

// One small object per request, which is at once the request the guard reads and the verify
// options (`scopes`, and `request`: itself, for the `auth.denied` event). Its getters live on a
// prototype made once per accessors object (an object literal with getters built per request,
// two closures and a slow-mode object each time, once cost about 20 % of HTTP throughput:
// docs/benchmarks.md), and every route of an adapter shares that class, so the verifier sees
// one shape per adapter, not one per route.
function viewOf<R>(accessors: RequestAccessors<R>): RequestViewClass<R> {
  const known = views.get(accessors) as RequestViewClass<R> | undefined
  if (known !== undefined) return known
  const { headers, rawHeaders, method, path, socketAddress } = accessors
  class View implements RequestView {
    readonly source: R
    readonly scopes: RequiredScopes
    /** `trustProxy` of the service (`trustedProxies`). */
    readonly trust: number
    constructor(source: R, scopes: RequiredScopes, trust: number) {
      this.source = source
      this.scopes = scopes
      this.trust = trust
    }
    get request(): RequestView {
      return this
    }
    get headers(): AuthRequestHeaders {
      return headers(this.source)
    }
    get rawHeaders(): readonly string[] | undefined {
      return rawHeaders(this.source)
    }
    get method(): string | undefined {
      return method(this.source)
    }
    get path(): string | undefined {
      return path(this.source)
    }
    // The library's rule (docs/limits.md, "Client address"), whatever the framework's setting.
    get clientAddress(): string | undefined {
      return clientAddressOf(socketAddress(this.source), headers(this.source), this.trust)
    }
  }
  views.set(accessors, View as RequestViewClass<never>)
  return View
}
