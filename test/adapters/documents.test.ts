/**
 * The routes' documents (the key page, its module and stylesheet, the OpenAPI document) over each
 * framework and the fetch adapter: a `text` response is sent as is, with its own content type, never JSON-encoded.
 */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import express from 'express'
import Fastify from 'fastify'
import Koa from 'koa'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import * as ex from '../../adapters/frameworks/express/index.js'
import * as fa from '../../adapters/frameworks/fastify/index.js'
import * as fe from '../../adapters/frameworks/fetch/index.js'
import * as ko from '../../adapters/frameworks/koa/index.js'
import { COMPONENT_SOURCE } from '../../src/http/ui/component-source.js'
import { apiKeyRoutesOpenApi, createApiKeyAuth, MemoryKeyStore } from '../../src/index.js'
import { createLogSink } from '../support/log-sink.js'

const auth = createApiKeyAuth({ store: new MemoryKeyStore(), logger: createLogSink().logger })
const options = {
  session: { jwt: { secret: 'documents-test-secret-0123456789abcdef' } },
  ui: true,
  openapi: true,
}
const BASE = '/api/v1/api-keys'

const listen = (server: Server): Promise<string> =>
  new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  )

const servers: { name: string; url: string; close(): Promise<unknown> }[] = []
beforeAll(async () => {
  const e = express()
  e.use(ex.apiKeyRoutes(auth, options))
  const es = e.listen(0, '127.0.0.1')
  await new Promise((resolve) => es.once('listening', resolve))
  servers.push({
    name: 'express',
    url: `http://127.0.0.1:${(es.address() as AddressInfo).port}`,
    close: () => new Promise((r) => es.close(r)),
  })
  const f = Fastify()
  await f.register(fa.apiKeyRoutes, { auth, ...options })
  const fastifyUrl = await f.listen({ port: 0, host: '127.0.0.1' })
  servers.push({ name: 'fastify', url: fastifyUrl, close: () => f.close() })
  const k = new Koa()
  k.use(ko.apiKeyRoutes(auth, options))
  const koaServer = (await import('node:http')).createServer(k.callback())
  servers.push({
    name: 'koa',
    url: await listen(koaServer),
    close: () => new Promise((r) => koaServer.close(r)),
  })
})
describe('documents over fetch (web Request/Response)', () => {
  test('the module is sent as is; the page needs a session; HEAD has no body', async () => {
    const routes = fe.apiKeyRoutes(auth, options)
    const script = await routes.fetch(new Request(`http://x${BASE}/ui/vydra-api-keys.js`))
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(await script.text()).toBe(COMPONENT_SOURCE)
    const head = await routes.fetch(
      new Request(`http://x${BASE}/ui/vydra-api-keys.css`, { method: 'HEAD' }),
    )
    expect(await head.text()).toBe('')
    expect((await routes.fetch(new Request(`http://x${BASE}/ui`))).status).toBe(401)
  })
})

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
})

describe.each(['express', 'fastify', 'koa'])('documents over %s', (name) => {
  const url = (): string => servers.find((s) => s.name === name)?.url ?? ''

  test('the module and stylesheet are sent as is, with their types', async () => {
    const script = await fetch(`${url()}${BASE}/ui/vydra-api-keys.js`)
    expect(script.status).toBe(200)
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(await script.text()).toBe(COMPONENT_SOURCE)
    const css = await fetch(`${url()}${BASE}/ui/vydra-api-keys.css`)
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8')
  })

  test('the page needs a session; the OpenAPI document is JSON', async () => {
    const page = await fetch(`${url()}${BASE}/ui`)
    expect(page.status).toBe(401)
    expect(((await page.json()) as { error: { code: string } }).error.code).toBe('SESSION_REQUIRED')
    const document = await fetch(`${url()}${BASE}/openapi.json`)
    expect(document.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await document.json()).toEqual(JSON.parse(JSON.stringify(apiKeyRoutesOpenApi({ auth }))))
  })
})
