/**
 * The secret-scanning route over real HTTP on every framework build (Express 5 and 4, Fastify,
 * Koa 3 and 2): a signed report revokes the key on this instance and on another one sharing the
 * store; unsigned, tampered, oversized and unparsable reports change nothing. GitHub's key set is
 * served on loopback with a locally generated P-256 key.
 */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import express5 from 'express'
import express4 from 'express4'
import Fastify from 'fastify'
import Koa3 from 'koa'
import Koa2 from 'koa2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as ex from '../../adapters/frameworks/express/index.js'
import * as fa from '../../adapters/frameworks/fastify/index.js'
import * as ko from '../../adapters/frameworks/koa/index.js'
import { createApiKeyAuth, MemoryKeyStore, type ApiKeyAuth } from '../../src/index.js'
import type { LeakEvent } from '../../src/http/index.js'
import {
  createSigner,
  report,
  signedHeaders,
  startKeySet,
  type KeySetServer,
  type Signer,
} from '../support/secret-scanning.js'
import { registerKey } from '../support/secret-scan.js'

type Framework = 'express' | 'express4' | 'fastify' | 'koa' | 'koa2'
const FRAMEWORKS: Framework[] = ['express', 'express4', 'fastify', 'koa', 'koa2']
const PATH = '/hooks/github-secret-scanning'

interface Running {
  url: string
  close(): Promise<void>
}

async function listen(server: Server): Promise<Running> {
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

// The route mounted as the docs say, a JSON parser for the rest of the app, one protected route.
async function start(
  framework: Framework,
  auth: ApiKeyAuth,
  options: Parameters<typeof ex.secretScanningRoute>[1],
): Promise<Running> {
  if (framework === 'fastify') {
    const app = Fastify({ logger: false })
    await app.register(fa.secretScanningRoute, { auth, ...options })
    app.get('/api/v1/models', { onRequest: fa.requireApiKey(auth) }, async () => ({ ok: true }))
    await app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = app.server.address() as AddressInfo
    return { url: `http://127.0.0.1:${port}`, close: () => app.close() }
  }
  if (framework === 'koa' || framework === 'koa2') {
    const app = new (framework === 'koa' ? Koa3 : Koa2)()
    app.use(ko.secretScanningRoute(auth, options))
    const guard = ko.requireApiKey(auth)
    app.use(async (ctx, next) => {
      if (ctx.path !== '/api/v1/models') return next()
      await guard(ctx as never, async () => {
        ctx.body = { ok: true }
      })
    })
    return listen(app.listen(0, '127.0.0.1'))
  }
  const express = framework === 'express' ? express5 : express4
  const app = express()
  app.use(ex.secretScanningRoute(auth, options))
  app.use(express.json())
  app.get('/api/v1/models', ex.requireApiKey(auth), (_req, res) => void res.json({ ok: true }))
  return listen(app.listen(0, '127.0.0.1'))
}

let github: Signer
let keySet: KeySetServer
beforeAll(async () => {
  github = createSigner()
  keySet = await startKeySet([github])
})
afterAll(() => keySet.close())

describe.each(FRAMEWORKS)('secret scanning route on %s', (framework) => {
  const store = new MemoryKeyStore()
  const auth = createApiKeyAuth({ store, logger: false })
  const other = createApiKeyAuth({ store, logger: false })
  const leaks: LeakEvent[] = []
  let app: Running
  beforeAll(async () => {
    app = await start(framework, auth, {
      path: PATH,
      keySetUrl: keySet.url,
      onLeak: (leak) => void leaks.push(leak),
    })
  })
  afterAll(() => app.close())

  const issue = async (): Promise<string> => {
    const { key } = await auth.createKey({ userId: 'u1', name: 'ci' })
    registerKey(key)
    return key
  }
  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${app.url}${PATH}`, { method: 'POST', headers, body })
  const use = async (key: string): Promise<number> =>
    (await fetch(`${app.url}/api/v1/models`, { headers: { authorization: `Bearer ${key}` } }))
      .status

  it('a signed report revokes the key here and on another instance, once', async () => {
    const key = await issue()
    expect(await use(key)).toBe(200)
    await other.verifyKey(key)
    const body = report([key, 'ghp_notours'])
    const headers = signedHeaders(github, body)
    const response = await post(body, headers)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    const labels = (await response.json()) as { label: string }[]
    expect(labels.map((l) => l.label)).toEqual(['true_positive', 'false_positive'])
    expect(await use(key)).toBe(401)
    await expect(other.verifyKey(key)).rejects.toMatchObject({ code: 'KEY_REVOKED' })
    const replay = await post(body, headers)
    expect(await replay.json()).toEqual(labels)
    expect(leaks.filter((l) => l.action === 'revoke')).toHaveLength(1)
  })

  it('unsigned, wrongly signed and tampered reports: 401, the key still works', async () => {
    const key = await issue()
    const body = report([key])
    const unsigned = await post(body, { 'content-type': 'application/json' })
    const raw = await post(body, signedHeaders(github, body, 'ieee-p1363'))
    const tampered = await post(body.replace('content', 'commit'), signedHeaders(github, body))
    const stranger = await post(body, signedHeaders(createSigner(), body))
    expect([unsigned.status, raw.status, tampered.status, stranger.status]).toEqual([
      401, 401, 401, 401,
    ])
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).toBe(
      'SIGNATURE_INVALID',
    )
    expect(await use(key)).toBe(200)
  })

  it('not JSON, not an array, 10,000 entries and a wrong content type are refused', async () => {
    const send = (body: string, type = 'application/json') =>
      post(body, { ...signedHeaders(github, body), 'content-type': type })
    const many = JSON.stringify(Array.from({ length: 10_000 }, () => ({ token: 'x', type: 't' })))
    const statuses = [
      (await send('[{')).status,
      (await send('{"token":"x"}')).status,
      (await send(many)).status,
      (await send('[]', 'text/plain')).status,
    ]
    expect(statuses).toEqual([400, 400, 413, 415])
  })
})
