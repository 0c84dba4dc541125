/** The key routes' OpenAPI document: valid OpenAPI 3.1, complete, and served when asked. */
import { Validator } from '@seriousme/openapi-schema-validator'
import { describe, expect, test } from 'vitest'
import {
  AUTH_ERROR_STATUS,
  apiKeyRoutesOpenApi,
  createApiKeyAuth,
  MemoryKeyStore,
} from '../../src/index.js'
import { createApiKeyRoutes } from '../../src/http/index.js'
import { createLogSink } from '../support/log-sink.js'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- walking a JSON document

async function expectValid(document: unknown): Promise<void> {
  const validator = new Validator()
  const result = await validator.validate(document as Record<string, unknown>)
  expect(result.errors ?? []).toEqual([])
  expect(result.valid).toBe(true)
  expect(validator.version).toBe('3.1')
}

const auth = (scopes?: string[]) =>
  createApiKeyAuth({
    store: new MemoryKeyStore(),
    logger: createLogSink().logger,
    scopes,
    maxExpiresInDays: 30,
  })

describe('apiKeyRoutesOpenApi', () => {
  test('the default document is valid OpenAPI 3.1', async () => {
    await expectValid(apiKeyRoutesOpenApi())
  })

  test('a document with a service, a base path and servers is valid, and uses all three', async () => {
    const document = apiKeyRoutesOpenApi({
      basePath: '/v2/keys/',
      auth: auth(['models:read', 'jobs:*']),
      servers: [{ url: 'https://api.example.com' }],
      title: 'Example',
      version: '2.0.0',
      sessionCookie: 'sid',
    })
    await expectValid(document)
    expect(Object.keys(document.paths)).toEqual([
      '/v2/keys',
      '/v2/keys/{id}',
      '/v2/keys/{id}/roll',
      '/v2/keys/{id}/disable',
      '/v2/keys/{id}/enable',
      '/v2/keys/{id}/events',
    ])
    expect(document.servers).toEqual([{ url: 'https://api.example.com' }])
    expect(document.info).toMatchObject({ title: 'Example', version: '2.0.0' })
    const body = document.components.schemas.CreateApiKeyRequest as Json
    expect(body.properties.scopes.items.enum).toEqual(['models:read', 'jobs:*', '*'])
    expect(body.properties.expiresInDays.maximum).toBe(30)
    expect(document.components.securitySchemes.sessionCookie).toMatchObject({
      in: 'cookie',
      name: 'sid',
    })
  })

  test('the body schema carries the limits createKey checks', () => {
    const body = apiKeyRoutesOpenApi().components.schemas.CreateApiKeyRequest as Json
    expect(body.required).toEqual(['name'])
    expect(body.properties.name).toMatchObject({ type: 'string', minLength: 1, maxLength: 100 })
    expect(body.properties.scopes).toMatchObject({ type: 'array', minItems: 1, maxItems: 50 })
    expect(body.properties.expiresInDays).toMatchObject({
      type: 'integer',
      exclusiveMinimum: 0,
      maximum: 3650,
    })
  })

  test('every error response lists its codes as an enum with an example each, at their status', () => {
    const document = apiKeyRoutesOpenApi()
    const seen = new Set<string>()
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations as Json)) {
        for (const [status, response] of Object.entries((operation as Json).responses as Json)) {
          if (Number(status) < 400) continue
          const content = response.content['application/json']
          const codes: string[] = content.schema.properties.error.properties.code.enum
          expect(codes.length, `${method} ${path} ${status}`).toBeGreaterThan(0)
          expect(Object.keys(content.examples)).toEqual(codes)
          for (const code of codes) {
            seen.add(code)
            const expected =
              code === 'KEY_NOT_FOUND' && path.includes('{id}')
                ? [401, 404]
                : [AUTH_ERROR_STATUS[code as keyof typeof AUTH_ERROR_STATUS]]
            expect(expected, `${code} under ${status}`).toContain(Number(status))
            expect(content.examples[code].value.error.code).toBe(code)
          }
          expect(response.headers['Cache-Control']).toBeDefined()
          if (status === '503') expect(response.headers['Retry-After'].required).toBe(true)
        }
      }
    }
    // Every code the key routes can answer per request. Not theirs: CONFIGURATION_ERROR (thrown
    // at start-up), METHOD_NOT_ALLOWED (the shared 405 response), SIGNATURE_INVALID (the
    // secret-scanning endpoint). A new code a route answers must be added to its table entry.
    // RATE_LIMITED and CREDITS_EXHAUSTED are the guard's (chargeLimits), on protected routes only.
    const elsewhere = [
      'CONFIGURATION_ERROR',
      'METHOD_NOT_ALLOWED',
      'SIGNATURE_INVALID',
      'RATE_LIMITED',
      'CREDITS_EXHAUSTED',
    ]
    const perRequest = Object.keys(AUTH_ERROR_STATUS).filter((c) => !elsewhere.includes(c))
    expect([...seen].sort()).toEqual(perRequest.sort())
    expect(document.components.responses.MethodNotAllowed).toBeDefined()
  })

  test('creating takes a session only; listing and revoking a session or a key holding *', () => {
    const { paths } = apiKeyRoutesOpenApi()
    const collection = paths['/api/v1/api-keys'] as Json
    expect(collection.post.security).toEqual([{ sessionCookie: [] }])
    expect(collection.get.security).toEqual([{ sessionCookie: [] }, { apiKey: [] }])
    expect((paths['/api/v1/api-keys/{id}'] as Json).delete.security).toEqual([
      { sessionCookie: [] },
      { apiKey: [] },
    ])
  })

  test('the document never holds a secret: the key is described, never exemplified', () => {
    const text = JSON.stringify(apiKeyRoutesOpenApi())
    expect(text).not.toMatch(/vydra_(live|test)_[A-Za-z0-9_-]+_[A-Za-z0-9]{20,}/)
  })
})

describe('GET <basePath>/openapi.json', () => {
  const request = (method: string, path: string) => ({ method, path, headers: {} })

  test('is served without authentication when openapi is true, and equals the generated document', async () => {
    const service = auth(['models:read'])
    const routes = createApiKeyRoutes(service, { openapi: true, basePath: '/keys' })
    const response = await routes(request('GET', '/keys/openapi.json'))
    expect(response?.status).toBe(200)
    expect(response?.headers['content-type']).toMatch(/^application\/json/)
    expect(response?.body).toEqual(apiKeyRoutesOpenApi({ basePath: '/keys', auth: service }))
    expect((await routes(request('HEAD', '/keys/openapi.json')))?.status).toBe(200)
    const post = await routes(request('POST', '/keys/openapi.json'))
    expect(post?.status).toBe(405)
    expect(post?.headers.allow).toBe('GET, HEAD')
  })

  test('is an ordinary key id when openapi is off (405 to GET, 401 to an unauthenticated DELETE)', async () => {
    const routes = createApiKeyRoutes(auth())
    const response = await routes(request('GET', '/api/v1/api-keys/openapi.json'))
    expect(response?.status).toBe(405)
    const del = await routes(request('DELETE', '/api/v1/api-keys/openapi.json'))
    expect(del?.status).toBe(401)
  })

  test('a non-boolean openapi option is a configuration error', () => {
    expect(() => createApiKeyRoutes(auth(), { openapi: 'yes' as unknown as boolean })).toThrow(
      /openapi must be true or false/,
    )
  })
})
