/** The same test service on each framework, listening on 127.0.0.1 with a random port. */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { createServer as createHttp2Server, type Http2Server } from 'node:http2'
import express5 from 'express'
import express4 from 'express4'
import Fastify, { type FastifyInstance } from 'fastify'
import Koa3 from 'koa'
import Koa2 from 'koa2'
import * as ex from '../../adapters/frameworks/express/index.js'
import { ROUTE_OPTIONS } from './fixture.js'
import * as fa from '../../adapters/frameworks/fastify/index.js'
import * as ko from '../../adapters/frameworks/koa/index.js'
import { startFetch, startHono } from './web-apps.js'
import type { ApiKeyAuth, ApiKeyPrincipal, RequiredScopes } from '../../src/index.js'

/** Every framework (and major) the suite runs on. */
export type Framework = 'express' | 'express4' | 'fastify' | 'koa' | 'koa2' | 'hono' | 'fetch'

/** The frameworks that see requests through web `Headers` (duplicate lines arrive joined). */
export const WEB_FRAMEWORKS: readonly Framework[] = ['hono', 'fetch']

/** A protected route of the test service. */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'DELETE'
  path: string
  scopes: RequiredScopes
  /** Serves requests without an `Authorization` header too, with no principal. */
  optional?: boolean
  /** Guarded by the service whose store always fails. */
  failing?: boolean
  /** Units the route charges against the key's usage limits (issue 12). */
  cost?: number
}

/** The protected routes: one per scope the seed page lists, and a few more. */
export const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/api/v1/models', scopes: ['models:read'] },
  { method: 'POST', path: '/api/v1/models/generate', scopes: ['models:write'] },
  { method: 'DELETE', path: '/api/v1/models/cache', scopes: ['models:*'] },
  { method: 'GET', path: '/api/v1/jobs', scopes: ['jobs:read'] },
  { method: 'POST', path: '/api/v1/jobs', scopes: ['jobs:write'] },
  { method: 'POST', path: '/api/v1/upload', scopes: ['upload:write'] },
  { method: 'GET', path: '/api/v1/account', scopes: ['account:read'] },
  { method: 'GET', path: '/api/v1/admin', scopes: ['*'] },
  { method: 'GET', path: '/api/v1/reports', scopes: ['models:read', 'jobs:read', 'account:read'] },
  // Issue 15: a public route that gives more with a key, one with a scope, and any-of scopes.
  { method: 'GET', path: '/api/v1/catalog', scopes: [], optional: true },
  { method: 'GET', path: '/api/v1/catalog/models', scopes: ['models:read'], optional: true },
  { method: 'GET', path: '/api/v1/feed', scopes: { anyOf: ['jobs:read', 'account:read'] } },
  {
    method: 'GET',
    path: '/api/v1/feed/public',
    scopes: { anyOf: ['jobs:read', 'account:read'] },
    optional: true,
  },
  { method: 'GET', path: '/api/v1/fragile/optional', scopes: [], optional: true, failing: true },
  // Issue 12: a route that costs 5 units of the key's usage limits.
  { method: 'POST', path: '/api/v1/batch', scopes: ['models:read'], cost: 5 },
]

/** The service guarding `route`. */
export const serviceOf = (ctx: AppContext, route: RouteSpec): ApiKeyAuth =>
  route.failing === true ? ctx.failing : ctx.auth

/** The guard options of `route`, as every app passes them. */
export const guardOptions = (
  route: RouteSpec,
): { scopes: RequiredScopes; optional?: boolean; cost?: number } => ({
  scopes: route.scopes,
  ...(route.optional === true ? { optional: true } : {}),
  ...(route.cost === undefined ? {} : { cost: route.cost }),
})

/** What the service needs besides the auth service. */
export interface AppContext {
  auth: ApiKeyAuth
  /** An auth service whose store always fails, for `/api/v1/fragile`. */
  failing: ApiKeyAuth
  /** Called by every protected handler that runs. */
  onHit(path: string, principal: ApiKeyPrincipal | null | undefined): void
  /** Errors the framework itself reported (its error handler, its logger). */
  frameworkErrors: string[]
}

/** A started service. */
export interface RunningApp {
  url: string
  close(): Promise<void>
}

export const echo = (path: string, principal: ApiKeyPrincipal | null | undefined): unknown => ({
  route: path,
  userId: principal?.userId,
  keyId: principal?.keyId,
  scopes: principal?.scopes,
})

/** Starts the test service on `framework`. */
export async function startApp(
  framework: Framework,
  ctx: AppContext,
  options: { http2?: boolean } = {},
): Promise<RunningApp> {
  const h2 = options.http2 === true
  if (framework === 'hono' || framework === 'fetch') {
    if (h2) throw new Error(`${framework} is served over HTTP/1.1 only here`)
    return framework === 'hono' ? startHono(ctx) : startFetch(ctx)
  }
  if (framework === 'fastify') return startFastify(ctx, h2)
  if (framework === 'koa' || framework === 'koa2') {
    return startKoa(framework === 'koa' ? Koa3 : Koa2, ctx, h2)
  }
  if (h2) throw new Error('Express has no HTTP/2 support')
  return startExpress(framework === 'express' ? express5 : express4, ctx)
}

async function startExpress(express: typeof express5, ctx: AppContext): Promise<RunningApp> {
  const app = express()
  app.get('/api/v1/health', (_req, res) => {
    res.json({ status: 'ok' })
  })
  app.use(ex.apiKeyRoutes(ctx.auth, ROUTE_OPTIONS))
  for (const route of ROUTES) {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'delete'
    app[method](
      route.path,
      ex.requireApiKey(serviceOf(ctx, route), guardOptions(route)),
      (req, res) => {
        ctx.onHit(route.path, req.auth)
        res.json(echo(route.path, req.auth))
      },
    )
  }
  app.get('/api/v1/fragile', ex.requireApiKey(ctx.failing), (req, res) => {
    ctx.onHit('/api/v1/fragile', req.auth)
    res.json(echo('/api/v1/fragile', req.auth))
  })
  app.get('/api/v1/boom', ex.requireApiKey(ctx.auth), () => {
    throw new Error('downstream failure')
  })
  app.use('/api/v1/private', ex.requireApiKey(ctx.auth))
  app.get('/api/v1/private/thing', (req, res) => {
    ctx.onHit('/api/v1/private/thing', req.auth)
    res.json(echo('/api/v1/private/thing', req.auth))
  })
  app.use(
    (
      error: Error,
      _req: express5.Request,
      res: express5.Response,
      _next: express5.NextFunction,
    ) => {
      ctx.frameworkErrors.push(error.message)
      res.status(500).json({ error: 'internal' })
    },
  )
  return listen(app.listen(0, '127.0.0.1'))
}

async function startFastify(ctx: AppContext, h2: boolean): Promise<RunningApp> {
  // One set-up for both transports; the adapter's own HTTP/2 typing is pinned in the type tests.
  const app = h2
    ? (Fastify({ logger: false, http2: true }) as unknown as FastifyInstance)
    : Fastify({ logger: false })
  app.setErrorHandler((error: Error, _request, reply) => {
    ctx.frameworkErrors.push(error.message)
    return reply.code(500).send({ error: 'internal' })
  })
  app.get('/api/v1/health', async () => ({ status: 'ok' }))
  await app.register(fa.apiKeyRoutes, { auth: ctx.auth, ...ROUTE_OPTIONS })
  for (const route of ROUTES) {
    app.route({
      method: route.method,
      url: route.path,
      onRequest: fa.requireApiKey(serviceOf(ctx, route), guardOptions(route)),
      handler: async (request) => {
        ctx.onHit(route.path, request.auth)
        return echo(route.path, request.auth)
      },
    })
  }
  app.get('/api/v1/fragile', { onRequest: fa.requireApiKey(ctx.failing) }, async (request) => {
    ctx.onHit('/api/v1/fragile', request.auth)
    return echo('/api/v1/fragile', request.auth)
  })
  app.get('/api/v1/boom', { onRequest: fa.requireApiKey(ctx.auth) }, async () => {
    throw new Error('downstream failure')
  })
  await app.register(
    async (child) => {
      child.addHook('onRequest', fa.requireApiKey(ctx.auth))
      child.get('/thing', async (request) => {
        ctx.onHit('/api/v1/private/thing', request.auth)
        return echo('/api/v1/private/thing', request.auth)
      })
    },
    { prefix: '/api/v1/private' },
  )
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() }
}

async function startKoa(Koa: typeof Koa3, ctx: AppContext, h2: boolean): Promise<RunningApp> {
  const app = new Koa()
  app.silent = true
  app.on('error', (error: Error) => ctx.frameworkErrors.push(error.message))
  app.use(ko.apiKeyRoutes(ctx.auth, ROUTE_OPTIONS))
  const guards = new Map(
    ROUTES.map((r) => [r, ko.requireApiKey(serviceOf(ctx, r), guardOptions(r))]),
  )
  const fragile = ko.requireApiKey(ctx.failing)
  const any = ko.requireApiKey(ctx.auth)
  app.use(async (c, next) => {
    const method = c.method === 'HEAD' ? 'GET' : c.method
    if (c.path === '/api/v1/health' && method === 'GET') {
      c.body = { status: 'ok' }
      return
    }
    const route = ROUTES.find((r) => r.path === c.path && r.method === method)
    if (route !== undefined) {
      return (guards.get(route) as typeof any)(c, async () => {
        ctx.onHit(route.path, c.state.auth)
        c.body = echo(route.path, c.state.auth)
      })
    }
    if (c.path === '/api/v1/fragile' && method === 'GET') {
      return fragile(c, async () => {
        ctx.onHit('/api/v1/fragile', c.state.auth)
        c.body = echo('/api/v1/fragile', c.state.auth)
      })
    }
    if (c.path === '/api/v1/boom' && method === 'GET') {
      return any(c, async () => {
        throw new Error('downstream failure')
      })
    }
    if (c.path.startsWith('/api/v1/private/')) {
      return any(c, async () => {
        if (c.path !== '/api/v1/private/thing' || method !== 'GET') return
        ctx.onHit('/api/v1/private/thing', c.state.auth)
        c.body = echo('/api/v1/private/thing', c.state.auth)
      })
    }
    await next()
  })
  if (!h2) return listen(app.listen(0, '127.0.0.1'))
  const server = createHttp2Server(app.callback())
  server.listen(0, '127.0.0.1')
  return listen(server)
}

function listen(server: Server | Http2Server): Promise<RunningApp> {
  return new Promise((resolve) => {
    const ready = (): void => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            if ('closeAllConnections' in server) server.closeAllConnections()
            server.close(() => done())
          }),
      })
    }
    if (server.listening) ready()
    else server.once('listening', ready)
  })
}
