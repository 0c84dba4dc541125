/**
 * The test service on the web-standard adapters (issue 15): Hono with `@vydra/auth/hono`, and a
 * plain fetch handler with `@vydra/auth/fetch`, both on Node through `@hono/node-server`.
 */
import { type ServerType, serve } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import type { AddressInfo } from 'node:net'
import { type Context, Hono } from 'hono'
import * as ho from '../../adapters/frameworks/hono/index.js'
import {
  type AppContext,
  echo,
  guardOptions,
  ROUTES,
  type RunningApp,
  serviceOf,
} from './routes.js'
import { createFetchApp, json } from './fetch-app.js'
import { ROUTE_OPTIONS } from './fixture.js'

/**
 * Starts the plain fetch service on Node. Its client address comes from the socket, through the
 * `clientAddress` option (as a runtime's own address would), so events match the Node adapters'.
 */
export function startFetch(ctx: AppContext): Promise<RunningApp> {
  const addresses = new WeakMap<Request, string>()
  const app = createFetchApp(ctx, { clientAddress: (request) => addresses.get(request) })
  return listen((request, env) => {
    const address = env?.incoming?.socket.remoteAddress
    if (address !== undefined) addresses.set(request, address)
    return app(request)
  })
}

// The Hono service's client address: the socket's, as Node's `getConnInfo` reads it.
const HONO_ADDRESS = { clientAddress: (c: Context) => getConnInfo(c).remote.address }

/** Starts the Hono service on Node. */
export function startHono(ctx: AppContext): Promise<RunningApp> {
  const app = new Hono()
  app.onError((error) => {
    ctx.frameworkErrors.push(error.message)
    return json({ error: 'internal' }, { status: 500 })
  })
  app.get('/api/v1/health', () => json({ status: 'ok' }))
  app.route('/', ho.apiKeyRoutes(ctx.auth, { ...ROUTE_OPTIONS, ...HONO_ADDRESS }))
  for (const route of ROUTES) {
    const guard = ho.requireApiKey(serviceOf(ctx, route), {
      ...guardOptions(route),
      ...HONO_ADDRESS,
    })
    app.on(route.method, route.path, guard, (c) => {
      ctx.onHit(route.path, c.get('auth'))
      return json(echo(route.path, c.get('auth')))
    })
  }
  app.get('/api/v1/fragile', ho.requireApiKey(ctx.failing, HONO_ADDRESS), (c) => {
    ctx.onHit('/api/v1/fragile', c.get('auth'))
    return json(echo('/api/v1/fragile', c.get('auth')))
  })
  app.get('/api/v1/boom', ho.requireApiKey(ctx.auth, HONO_ADDRESS), () => {
    throw new Error('downstream failure')
  })
  app.use('/api/v1/private/*', ho.requireApiKey(ctx.auth, HONO_ADDRESS))
  app.get('/api/v1/private/thing', (c) => {
    const principal = (c.var as { auth?: Parameters<AppContext['onHit']>[1] }).auth
    ctx.onHit('/api/v1/private/thing', principal)
    return json(echo('/api/v1/private/thing', principal))
  })
  return listen(app.fetch)
}

function listen(
  fetch: (
    request: Request,
    env?: { incoming?: { socket: { remoteAddress?: string } } },
  ) => Promise<Response> | Response,
): Promise<RunningApp> {
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
