/**
 * The key-management routes behind the frameworks' own body parsers: a parser that ran is used,
 * one that did not consume the stream leaves it to the core, text/raw results are parsed by the
 * core with its limits. Real servers on 127.0.0.1, driven with fetch.
 */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import express5 from 'express'
import express4 from 'express4'
import Koa from 'koa'
import { afterEach, describe, expect, test } from 'vitest'
import { apiKeyRoutes as expressRoutes } from '../../adapters/express/index.js'
import { apiKeyRoutes as koaRoutes } from '../../adapters/koa/index.js'
import { createApiKeyAuth, MemoryKeyStore } from '../../src/index.js'

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
