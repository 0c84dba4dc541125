/**
 * The test service as one plain fetch handler, built from `@vydra/auth/fetch` alone. It imports
 * nothing of Node's, so the same module runs on Node (test/e2e/web-apps.ts) and, bundled, on Bun,
 * Deno and workerd (test/runtimes/).
 */
import * as fe from '../../adapters/frameworks/fetch/index.js'
import { ROUTE_OPTIONS } from './fixture.js'
import { type AppContext, echo, guardOptions, ROUTES, serviceOf } from './routes.js'

// JSON as Express, Fastify and Koa send it, so that the parity table compares like with like.
export const json = (
  body: unknown,
  init: { status?: number; headers?: Record<string, string> } = {},
): Response =>
  new Response(JSON.stringify(body), {
    status: init.status ?? 200,
    headers: { ...init.headers, 'content-type': 'application/json; charset=utf-8' },
  })

/** The test service as one fetch handler, built from `@vydra/auth/fetch` alone. */
export function createFetchApp(
  ctx: AppContext,
  web: fe.WebClientAddressOption = {},
): (request: Request) => Promise<Response> {
  const routes = fe.apiKeyRoutes(ctx.auth, { ...ROUTE_OPTIONS, ...web })
  const guards = new Map(
    ROUTES.map((r) => [r, fe.requireApiKey(serviceOf(ctx, r), { ...guardOptions(r), ...web })]),
  )
  const fragile = fe.requireApiKey(ctx.failing, web)
  const any = fe.requireApiKey(ctx.auth, web)
  const respond = async (
    request: Request,
    guard: (request: Request) => Promise<unknown>,
    path: string,
  ): Promise<Response> => {
    const principal = (await guard(request)) as Parameters<AppContext['onHit']>[1] | Response
    if (principal instanceof Response) return principal
    ctx.onHit(path, principal)
    return json(echo(path, principal), { headers: fe.responseHeaders(request) })
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
