/**
 * One Hono server variant in its own process, on Node (`@hono/node-server`) or Bun (`Bun.serve`
 * with `app.fetch`), whichever runs it: `<node|bun> bench/hono/server.ts <variant> <keys.json>`,
 * variant `hand`, `lib` or `bearerauth`. Prints `READY <port>` once listening on 127.0.0.1.
 * Every variant serves `GET /api/v1/models` with the same JSON body behind one middleware.
 */
import { readFileSync } from 'node:fs'
import { Hono, type MiddlewareHandler } from 'hono'
import { bearerAuth } from 'hono/bearer-auth'
import { createApiKeyAuth, MemoryKeyStore } from '../../src/index.js'
import { requireApiKey } from '../../adapters/frameworks/hono/index.js'
import { handVerify, UNAUTHORIZED_BODY } from '../http/hand.js'
import { handTable, recordOf, REQUIRED } from '../http/keys.js'

const [variant = '', keysFile = ''] = process.argv.slice(2)
const keys = JSON.parse(readFileSync(keysFile, 'utf8')) as string[]
const BODY = { models: [] as string[] }
const PATH = '/api/v1/models'

declare const Bun:
  | {
      serve(options: {
        port: number
        hostname: string
        fetch: (request: Request) => Response | Promise<Response>
      }): { port: number }
    }
  | undefined

async function middleware(): Promise<MiddlewareHandler> {
  if (variant === 'hand') {
    // The reference pipeline of bench/http/hand.ts, in Hono's idiom.
    const table = handTable(keys)
    return async (c, next) => {
      const principal = handVerify(table, c.req.header('authorization'), REQUIRED)
      if (principal === undefined) {
        return c.body(UNAUTHORIZED_BODY, 401, { 'content-type': 'application/json' })
      }
      c.set('auth' as never, principal as never)
      await next()
    }
  }
  if (variant === 'lib') {
    const store = new MemoryKeyStore()
    for (const [i, key] of keys.entries()) await store.insert(recordOf(key, i))
    const auth = createApiKeyAuth({ store, logger: false })
    return requireApiKey(auth, { scopes: REQUIRED }) as MiddlewareHandler
  }
  if (variant === 'bearerauth') {
    // Hono's own middleware with its documented list form: every request is compared, in
    // constant time, against the configured tokens until one matches (as @fastify/bearer-auth
    // does with its `keys` set in section 3).
    return bearerAuth({ token: keys })
  }
  throw new Error(`unknown variant ${variant}`)
}

const app = new Hono()
app.get(PATH, await middleware(), (c) => c.json(BODY))

if (typeof Bun !== 'undefined') {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: app.fetch })
  process.stdout.write(`READY ${server.port}\n`)
} else {
  const { serve } = await import('@hono/node-server')
  serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
    process.stdout.write(`READY ${info.port}\n`)
  })
}
process.once('SIGTERM', () => process.exit(0))
