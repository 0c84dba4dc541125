/** SCP-12 and set-up errors: every adapter refuses a bad configuration when it is built, not per request. */
import Fastify from 'fastify'
import { describe, expect, test } from 'vitest'
import * as express from '../../adapters/express/index.js'
import * as fastify from '../../adapters/fastify/index.js'
import * as koa from '../../adapters/koa/index.js'
import { createApiKeyAuth, MemoryKeyStore } from '../../src/index.js'

const auth = createApiKeyAuth({
  store: new MemoryKeyStore(),
  scopes: ['models:read', 'models:write', 'jobs:*'],
})
const configError = expect.objectContaining({ code: 'CONFIGURATION_ERROR' })

describe('adapter set-up', () => {
  for (const [name, requireApiKey] of [
    ['express', express.requireApiKey],
    ['fastify', fastify.requireApiKey],
    ['koa', koa.requireApiKey],
  ] as const) {
    test(`SCP-12 ${name}: a typo'd or unknown required scope throws at construction`, () => {
      for (const scopes of [['model:read'], ['models:delete'], ['admin'], ['models:'], ['']]) {
        expect(() => requireApiKey(auth, { scopes })).toThrow(configError)
      }
      for (const scopes of [[], ['models:read'], ['jobs:read'], ['jobs:*'], ['*']]) {
        expect(typeof requireApiKey(auth, { scopes })).toBe('function')
      }
    })
  }

  test('apiKeyRoutes without the auth service is a configuration error', async () => {
    expect(() => express.apiKeyRoutes(undefined as never)).toThrow(configError)
    expect(() => koa.apiKeyRoutes(undefined as never)).toThrow(configError)
    const app = Fastify()
    await expect(app.register(fastify.apiKeyRoutes, {} as never).ready()).rejects.toMatchObject({
      code: 'CONFIGURATION_ERROR',
    })
    await app.close()
  })
})
