/**
 * `@vydra/auth/fastify`: an `onRequest` hook and the key-management plugin for Fastify 5.
 * @module
 */
import type {
  FastifyPluginAsync,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  onRequestAsyncHookHandler,
  RawServerBase,
  RawServerDefault,
} from 'fastify'
import type { Readable } from 'node:stream'
import {
  type ApiKeyRoutesOptions,
  type AuthRequest,
  type AuthResponse,
  type AuthResult,
  clientAddressOf,
  createApiKeyRoutes,
  createRequestGuard,
  createSecretScanningHandler,
  readBody,
  type RequestAccessors,
  type SecretScanningOptions,
  type ApiKeyGuardOptions,
  trustedProxies,
} from '../../../src/http/index.js'
import type { ApiKeyAuth, ApiKeyPrincipal } from '../../../src/index.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified API key, set by `requireApiKey`; `null` on routes without it. */
    auth: ApiKeyPrincipal | null
  }
}

/**
 * Options of {@link requireApiKey}: the scopes the key must hold (an array: all of them;
 * `{ anyOf }`: one of them), checked at set-up, and `optional` (no `Authorization` header: the
 * handler runs without a principal).
 */
export type RequireApiKeyOptions = ApiKeyGuardOptions

/** Options of the {@link apiKeyRoutes} plugin. */
export interface ApiKeyRoutesPluginOptions extends ApiKeyRoutesOptions {
  /** The auth service. */
  auth: ApiKeyAuth
  /** Route prefix, as for any plugin. */
  prefix?: string
}

/**
 * An `onRequest` hook that lets a request through only with a valid API key holding `scopes`;
 * the principal is then at `request.auth`. It runs before the body is read.
 *
 * @example
 * ```ts
 * app.get('/api/v1/models', { onRequest: requireApiKey(auth, { scopes: ['models:read'] }) }, handler)
 * ```
 */
export function requireApiKey<RawServer extends RawServerBase = RawServerDefault>(
  auth: ApiKeyAuth,
  options: RequireApiKeyOptions = {},
): onRequestAsyncHookHandler<RawServer> {
  const guard = createRequestGuard(auth, options, FASTIFY_REQUEST)
  // A promise-returning hook, as Fastify's async hooks are, but not an `async` function: on a
  // cache hit the guard answers in this turn and the hook returns one promise settled once for
  // all (PASSED), so a hit allocates no async function state and no promise of its own
  // (docs/benchmarks.md, "Sixth session"). Fastify goes on when the returned promise settles,
  // as for any async hook; a synchronous throw reaches its error handling as a rejection would.
  return function vydraRequireApiKey(request, reply) {
    const decided = guard(request as unknown as FastifyRequest)
    if (decided instanceof Promise) {
      return decided.then((result) =>
        finish(request as FastifyRequest, reply as FastifyReply, result),
      )
    }
    return finish(request as FastifyRequest, reply as FastifyReply, decided)
  }
}

// Settled with nothing, once: what the hook returns for a request it lets through.
const PASSED: Promise<void> = Promise.resolve()

function finish(
  request: FastifyRequest,
  reply: FastifyReply,
  result: AuthResult,
): Promise<unknown> {
  if (!result.ok) return refuse(reply, result.response)
  if (result.headers !== undefined) reply.headers(result.headers)
  request.auth = result.principal
  return PASSED
}

// A refusal settles with the reply (a thenable that settles when the response is written), as
// an `async` hook that returns `reply` after sending does: Fastify then goes no further even
// while an `onSend` hook of the application still holds the response, so the route's handler
// never runs for a refused request.
async function refuse(reply: FastifyReply, response: AuthResponse): Promise<FastifyReply> {
  return send(reply, response)
}

// How the guard reads a Fastify request: given once, so a request builds nothing but the
// guard's one view (src/http/request-guard.ts). The path and the client address are read only
// for an `auth.denied` event.
const FASTIFY_REQUEST: RequestAccessors<FastifyRequest> = {
  headers: (request) => request.headers,
  rawHeaders: (request) => request.raw.rawHeaders,
  method: (request) => request.method,
  path: (request) => request.url.split('?', 1)[0],
  socketAddress: (request) => request.raw.socket?.remoteAddress,
}

const routes: FastifyPluginAsync<ApiKeyRoutesPluginOptions> = async (app, options) => {
  // `register(apiKeyRoutes, auth)` or a string: the core says what was expected.
  const given = options as unknown
  const isObject = typeof given === 'object' && given !== null
  const { auth, prefix: _prefix, ...routeOptions } = isObject ? options : ({} as typeof options)
  const handle = createApiKeyRoutes(isObject ? auth : (given as ApiKeyAuth), routeOptions)
  const base = options.basePath ?? '/api/v1/api-keys'
  // This scope reads its own bodies, so the core decides on size, type and syntax.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    // The raw (undecoded) path below the plugin's prefix, as Express and Koa hand it over.
    const route = request.routeOptions.url ?? base
    const prefixLength = route.length - base.length - (route.endsWith('/*') ? 2 : 0)
    const path = (request.url.split('?')[0] ?? '').slice(prefixLength)
    const response = await handle(toAuthRequest(request, path, trustedProxies(auth)))
    if (response === null) return reply.callNotFound()
    return send(reply, response)
  }
  const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']
  app.route({ method: methods, url: base, handler })
  app.route({ method: methods, url: `${base}/*`, handler })
}

/**
 * A plugin serving `POST`/`GET /api/v1/api-keys` and `DELETE /api/v1/api-keys/:id`; it also
 * declares `request.auth` on the instance it is registered in.
 *
 * @example
 * ```ts
 * await app.register(apiKeyRoutes, { auth })
 * ```
 */
export const apiKeyRoutes: FastifyPluginCallback<ApiKeyRoutesPluginOptions, RawServerBase> =
  withPluginMeta<FastifyPluginAsync<ApiKeyRoutesPluginOptions, RawServerBase>>(
    async (app, options) => {
      if (!app.hasRequestDecorator('auth')) app.decorateRequest('auth', null)
      await app.register(
        routes as FastifyPluginAsync<ApiKeyRoutesPluginOptions, RawServerBase>,
        options,
      )
    },
    '@vydra/auth/fastify',
  )

/** Options of the {@link secretScanningRoute} plugin. */
export interface SecretScanningPluginOptions extends SecretScanningOptions {
  /** The auth service. */
  auth: ApiKeyAuth
}

const secretScanning: FastifyPluginAsync<SecretScanningPluginOptions> = async (
  app,
  pluginOptions,
) => {
  const { auth, ...options } = pluginOptions
  const handle = createSecretScanningHandler(auth, options)
  const url = options.path ?? '/api/v1/secret-scanning/github'
  // This scope reads its own bodies, so the core decides on size, type and signature.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
  app.route({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url,
    handler: async (request, reply) => {
      const response = await handle(toAuthRequest(request, url, trustedProxies(auth)))
      if (response === null) return reply.callNotFound()
      return send(reply, response)
    },
  })
}

/**
 * A plugin serving GitHub's secret scanning reports at `POST /api/v1/secret-scanning/github`
 * (option `path`): signed reports of leaked keys, each revoked at once. It reads its own raw
 * bodies (the signature covers them), whatever parsers the application registers.
 *
 * @example
 * ```ts
 * await app.register(secretScanningRoute, { auth, onLeak: (leak) => notifyOwner(leak) })
 * ```
 */
export const secretScanningRoute = secretScanning as FastifyPluginAsync<
  SecretScanningPluginOptions,
  RawServerBase
>

/**
 * Marks a plugin as `fastify-plugin` would, without depending on it (Fastify reads these symbols
 * itself): `skip-override` registers it in the caller's context, so that `request.auth` is
 * declared there; the name shows in Fastify's errors and `hasPlugin`; and Fastify checks the
 * `fastify` range against its own version when the plugin is registered.
 */
function withPluginMeta<T extends object>(plugin: T, name: string): T {
  return Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: name,
    [Symbol.for('plugin-meta')]: { name, fastify: '5.x' },
  })
}

function toAuthRequest(request: FastifyRequest, path: string, trust: number): AuthRequest {
  const body = request.body
  return {
    method: request.method,
    path,
    query: request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '',
    headers: request.headers,
    rawHeaders: request.raw.rawHeaders,
    protocol: request.protocol,
    // The library's trusted-proxy rule (docs/limits.md, "Client address").
    get clientAddress() {
      return clientAddressOf(request.raw.socket?.remoteAddress, request.headers, trust)
    },
    body: isStream(body) ? undefined : body,
    readBody: (limit) => (isStream(body) ? readBody(body, limit) : readBody(request.raw, limit)),
  }
}

function isStream(value: unknown): value is Readable {
  return typeof value === 'object' && value !== null && typeof (value as Readable).on === 'function'
}

function send(reply: FastifyReply, response: AuthResponse): FastifyReply {
  return reply
    .code(response.status)
    .headers(response.headers)
    .send(response.text ?? JSON.stringify(response.body))
}
