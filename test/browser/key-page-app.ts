/** The service the page tests drive: Express, the key routes with `ui: true`, a store that can fail. */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import express from 'express'
import { SignJWT } from 'jose'
import { apiKeyRoutes } from '../../adapters/frameworks/express/index.js'
import {
  createApiKeyAuth,
  MemoryKeyStore,
  type ApiKeyAuth,
  type KeyStore,
} from '../../src/index.js'
import { createLogSink } from '../support/log-sink.js'

const SECRET = 'page-test-session-secret-0123456789abcdef'

/** A running page service. */
export interface PageApp {
  url: string
  auth: ApiKeyAuth
  /** While true, every store call fails (the routes answer 503). */
  setDown(down: boolean): void
  session(userId: string): Promise<string>
  close(): Promise<void>
}

/** Starts the service on a random port of 127.0.0.1. */
export async function startPageApp(): Promise<PageApp> {
  const memory = new MemoryKeyStore()
  let down = false
  // Every method of the memory store, failing while `down`.
  const store = new Proxy(memory, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        if (down && name !== 'onRevoke') return Promise.reject(new Error('store down'))
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  }) as KeyStore
  const auth = createApiKeyAuth({
    store,
    scopes: ['models:read', 'models:write', 'jobs:read'],
    maxKeysPerUser: 3,
    cache: false,
    logger: createLogSink().logger,
  })
  const app = express()
  app.use(apiKeyRoutes(auth, { session: { jwt: { secret: SECRET } }, ui: true }))
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    auth,
    setDown: (value) => {
      down = value
    },
    session: (userId) =>
      new SignJWT({ sub: userId })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(SECRET)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
