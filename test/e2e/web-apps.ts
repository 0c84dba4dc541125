/**
 * The test service on the web-standard adapters (issue 15): Hono with `@vydra/auth/hono`, and a
 * plain fetch handler with `@vydra/auth/fetch`, both on Node through `@hono/node-server`.
 */
import { type ServerType, serve } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import { Hono } from 'hono'
import * as fe from '../../adapters/frameworks/fetch/index.js'
import * as ho from '../../adapters/frameworks/hono/index.js'
import { type AppContext, echo, guardOptions, ROUTES, type RunningApp, serviceOf } from './apps.js'
import { ROUTE_OPTIONS } from './fixture.js'

// JSON as Express, Fastify and Koa send it, so that the parity table compares like with like.
const json = (body: unknown, init: ResponseInit = {}): Response =>
  new Response(JSON.stringify(body), {
    ...init,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  })

/** The test service as one fetch handler, built from `@vydra/auth/fetch` alone. */
export function createFetchApp(ctx: AppContext): (request: Request) => Promise<Response> {
  const routes = fe.apiKeyRoutes(ctx.auth, ROUTE_OPTIONS)
  const guards = new Map(
    ROUTES.map((r) => [r, fe.requireApiKey(serviceOf(ctx, r), guardOptions(r))]),
  )
  const fragile = fe.requireApiKey(ctx.failing)
  const any = fe.requireApiKey(ctx.auth)
  const respond = async (
    request: Request,
    guard: (request: Request) => Promise<unknown>,
    path: string,
  ): Promise<Response> => {
    const principal = (await guard(request)) as Parameters<AppContext['onHit']>[1] | Response
    if (principal instanceof Response) return principal
    ctx.onHit(path, principal)
    return json(echo(path, principal))
  }
  return async (request) => {
    const path = new URL(request.url).pathname
    const method = request.method === 'HEAD' ? 'GET' : request.method
    if (path === '/api/v1/health' && method === 'GET') return json({ status: 'ok' })
    const handled = await routes.handle(request)
    if (handled !== null) return handled
    const route = ROUTES.find((r) => r.path === path && r.method === method)
    if (route !== undefined) return respond(request, guards.get(route) as typeof any, route.path)
    if (path === '/api/v1/fragile' && method === 'GET') return respond(request, fragile, path)
    if (path === '/api/v1/boom' && method === 'GET') {
      const principal = await any(request)
      if (principal instanceof Response) return principal
      ctx.frameworkErrors.push('downstream failure')
      return json({ error: 'internal' }, { status: 500 })
    }
    if (path.startsWith('/api/v1/private/')) {
      const principal = await any(request)
      if (principal instanceof Response) return principal
      if (path === '/api/v1/private/thing' && method === 'GET') {
        ctx.onHit(path, principal)
        return json(echo(path, principal))
      }
    }
    return new Response('Not Found', { status: 404 })
  }
}

/** Starts the plain fetch service on Node. */
export function startFetch(ctx: AppContext): Promise<RunningApp> {
  return listen(createFetchApp(ctx))
}

/** Starts the Hono service on Node. */
export function startHono(ctx: AppContext): Promise<RunningApp> {
  const app = new Hono()
  app.onError((error) => {
    ctx.frameworkErrors.push(error.message)
    return json({ error: 'internal' }, { status: 500 })
  })
  app.get('/api/v1/health', () => json({ status: 'ok' }))
  app.route('/', ho.apiKeyRoutes(ctx.auth, ROUTE_OPTIONS))
  for (const route of ROUTES) {
    const guard = ho.requireApiKey(serviceOf(ctx, route), guardOptions(route))
    app.on(route.method, route.path, guard, (c) => {
      ctx.onHit(route.path, c.get('auth'))
      return json(echo(route.path, c.get('auth')))
    })
  }
  app.get('/api/v1/fragile', ho.requireApiKey(ctx.failing), (c) => {
    ctx.onHit('/api/v1/fragile', c.get('auth'))
    return json(echo('/api/v1/fragile', c.get('auth')))
  })
  app.get('/api/v1/boom', ho.requireApiKey(ctx.auth), () => {
    throw new Error('downstream failure')
  })
  app.use('/api/v1/private/*', ho.requireApiKey(ctx.auth))
  app.get('/api/v1/private/thing', (c) => {
    const principal = (c.var as { auth?: Parameters<AppContext['onHit']>[1] }).auth
    ctx.onHit('/api/v1/private/thing', principal)
    return json(echo('/api/v1/private/thing', principal))
  })
  return listen(app.fetch)
}

function listen(fetch: (request: Request) => Promise<Response> | Response): Promise<RunningApp> {
  return new Promise((resolve) => {
    const server: ServerType = serve(
      { fetch, hostname: '127.0.0.1', port: 0 },
      (info: AddressInfo) => {
        resolve({
          url: `http://127.0.0.1:${info.port}`,
          close: () =>
            new Promise<void>((done) => {
              if ('closeAllConnections' in server) server.closeAllConnections()
              server.close(() => done())
            }),
        })
      },
    )
  })
}
