/**
 * The key-management routes behind the frameworks' own body parsers: a parser that ran is used,
 * one that did not consume the stream leaves it to the core, text/raw results are parsed by the
 * core with its limits. Real servers on 127.0.0.1, driven with fetch.
 */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import express5 from 'express'
import express4 from 'express4'
import Fastify from 'fastify'
import Koa from 'koa'
import { afterEach, describe, expect, test } from 'vitest'
import {
  apiKeyErrorHandler as expressErrorHandler,
  apiKeyRoutes as expressRoutes,
} from '../../adapters/frameworks/express/index.js'
import { apiKeyRoutes as fastifyRoutes } from '../../adapters/frameworks/fastify/index.js'
import {
  apiKeyErrorHandler as koaErrorHandler,
  apiKeyRoutes as koaRoutes,
} from '../../adapters/frameworks/koa/index.js'
import { createApiKeyAuth, generateApiKey, MemoryKeyStore } from '../../src/index.js'
import { expectNoLeak } from '../support/leak.js'

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

const auth = createApiKeyAuth({
  store: new MemoryKeyStore(),
  session: { authenticate: async () => ({ userId: 'parsed_user' }) },
})

async function listen(server: Server): Promise<string> {
  servers.push(server)
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/api-keys`
}

async function post(url: string, body: string): Promise<[number, string]> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body,
  })
  const json = (await res.json()) as { name?: string; error?: { code: string } }
  return [res.status, json.name ?? json.error?.code ?? '']
}

describe('key-management routes behind body parsers', () => {
  for (const [label, express] of [
    ['Express 5', express5],
    ['Express 4', express4],
  ] as const) {
    test(`${label}: express.json() before the router`, async () => {
      const app = express()
      app.use(express.json())
      app.use(expressRoutes(auth))
      const url = await listen(app.listen(0, '127.0.0.1'))
      expect(await post(url, '{"name":"via json parser"}')).toEqual([201, 'via json parser'])
    })

    test(`${label}: a urlencoded parser that skips JSON leaves the stream to the core`, async () => {
      const app = express()
      app.use(express.urlencoded({ extended: false }))
      app.use(expressRoutes(auth))
      const url = await listen(app.listen(0, '127.0.0.1'))
      expect(await post(url, '{"name":"read by the core"}')).toEqual([201, 'read by the core'])
      expect(await post(url, '{"name":')).toEqual([400, 'INVALID_JSON'])
    })

    test(`${label}: a text parser's string is parsed by the core, with the 16 KiB cap`, async () => {
      const app = express()
      app.use(express.text({ type: '*/*', limit: '1mb' }))
      app.use(expressRoutes(auth))
      const url = await listen(app.listen(0, '127.0.0.1'))
      expect(await post(url, '{"name":"from text"}')).toEqual([201, 'from text'])
      expect(await post(url, JSON.stringify({ name: 'x'.repeat(20_000) }))).toEqual([
        413,
        'PAYLOAD_TOO_LARGE',
      ])
    })
  }

  test('Koa: a body set by an upstream parser is used; otherwise the core reads ctx.req', async () => {
    const app = new Koa()
    app.use(async (ctx, next) => {
      if (ctx.get('x-pre-parse') === '1') {
        let text = ''
        for await (const chunk of ctx.req) text += String(chunk)
        ;(ctx.request as { body?: unknown }).body = { name: `pre-parsed ${JSON.parse(text).name}` }
      }
      await next()
    })
    app.use(koaRoutes(auth))
    const url = await listen(app.listen(0, '127.0.0.1'))
    expect(await post(url, '{"name":"raw"}')).toEqual([201, 'raw'])
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Pre-Parse': '1' },
      body: '{"name":"koa"}',
    })
    expect([res.status, ((await res.json()) as { name: string }).name]).toEqual([
      201,
      'pre-parsed koa',
    ])
  })
})

describe("issue 9: a body parser's errors on the key routes get the routes' JSON answers", () => {
  const KEY = generateApiKey('leaky_user')
  const isJsonError = async (res: Response, code: string): Promise<void> => {
    const text = await res.text()
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(JSON.parse(text)).toEqual({ error: { code, message: expect.any(String) } })
    expect(text).not.toMatch(/<html|<pre|\n\s+at /i)
    expectNoLeak({ text, headers: [...res.headers] }, KEY)
  }
  const postRaw = (url: string, body: string, type = 'application/json'): Promise<Response> =>
    fetch(url, { method: 'POST', headers: { 'Content-Type': type }, body })

  for (const [label, express] of [
    ['Express 5', express5],
    ['Express 4', express4],
  ] as const) {
    test(`${label}: express.json() before the routes, apiKeyErrorHandler after them`, async () => {
      const app = express()
      const appErrors: string[] = []
      app.use(express.json({ limit: '1kb' }))
      app.use(expressRoutes(auth))
      app.use(expressErrorHandler(auth))
      app.post('/other', (_req, res) => void res.json({ ok: true }))
      app.use(
        (
          error: { type?: string },
          _req: express5.Request,
          res: express5.Response,
          _next: express5.NextFunction,
        ) => {
          appErrors.push(String(error.type))
          res.status(599).json({ app: 'handler' })
        },
      )
      const url = await listen(app.listen(0, '127.0.0.1'))
      await isJsonError(await postRaw(url, `{"name":"${KEY}`), 'INVALID_JSON')
      const large = await postRaw(url, JSON.stringify({ name: 'x', pad: KEY.repeat(40) }))
      expect(large.status).toBe(413)
      await isJsonError(large, 'PAYLOAD_TOO_LARGE')
      const latin1 = await postRaw(url, '{"name":"x"}', 'application/json; charset=latin1')
      expect(latin1.status).toBe(415)
      await isJsonError(latin1, 'UNSUPPORTED_MEDIA_TYPE')
      expect((await postRaw(`${url}/some-id`, '{')).status).toBe(400)
      // Well-formed bodies still reach the routes; other paths' errors go to the app's handler.
      expect(await post(url, '{"name":"parsed"}')).toEqual([201, 'parsed'])
      expect(appErrors).toEqual([])
      const other = await postRaw(url.replace('/api/v1/api-keys', '/other'), '{')
      expect([other.status, await other.json()]).toEqual([599, { app: 'handler' }])
      expect(appErrors).toEqual(['entity.parse.failed'])
    })
  }

  test("Koa: apiKeyErrorHandler before an upstream parser (body-parser's json via connect)", async () => {
    const app = new Koa()
    app.silent = true
    const parse = express5.json({ limit: '1kb' })
    app.use(koaErrorHandler(auth))
    app.use(async (ctx, next) => {
      await new Promise<void>((resolve, reject) =>
        parse(ctx.req as never, ctx.res as never, (error?: unknown) =>
          error === undefined ? resolve() : reject(error),
        ),
      )
      ;(ctx.request as { body?: unknown }).body = (ctx.req as { body?: unknown }).body
      await next()
    })
    app.use(koaRoutes(auth))
    app.use((ctx) => {
      ctx.body = { ok: true }
    })
    const url = await listen(app.listen(0, '127.0.0.1'))
    await isJsonError(await postRaw(url, `{"name":"${KEY}`), 'INVALID_JSON')
    const large = await postRaw(url, JSON.stringify({ name: 'x', pad: KEY.repeat(40) }))
    expect(large.status).toBe(413)
    await isJsonError(large, 'PAYLOAD_TOO_LARGE')
    expect(await post(url, '{"name":"koa parsed"}')).toEqual([201, 'koa parsed'])
    // Another path: the error is rethrown to Koa, which answers it its own way.
    const other = await postRaw(url.replace('/api/v1/api-keys', '/other'), '{')
    expect(other.status).toBe(400)
    expect(other.headers.get('content-type')).toMatch(/^text\/plain/)
  })

  test("Fastify: the plugin's scope parses its own bodies, so the app's parsers cannot intervene", async () => {
    const app = Fastify({ bodyLimit: 1024 })
    app.addContentTypeParser('application/json', { parseAs: 'string' }, () => {
      throw Object.assign(new Error('app parser ran'), { statusCode: 500 })
    })
    await app.register(fastifyRoutes, { auth })
    await app.listen({ host: '127.0.0.1', port: 0 })
    try {
      const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/api-keys`
      await isJsonError(await postRaw(url, `{"name":"${KEY}`), 'INVALID_JSON')
      const large = await postRaw(url, JSON.stringify({ name: 'x', pad: KEY.repeat(500) }))
      expect(large.status).toBe(413)
      await isJsonError(large, 'PAYLOAD_TOO_LARGE')
      expect(await post(url, '{"name":"fastify"}')).toEqual([201, 'fastify'])
    } finally {
      await app.close()
    }
  })
})
