import { describe, expect, test } from 'vitest'
import { authenticateRequest, createApiKeyAuth, type ApiKeyAuth } from '../../src/index.js'
import { createLogSink } from '../support/log-sink.js'
import { createStoreSpy } from '../support/store-spy.js'

async function setup(): Promise<{
  auth: ApiKeyAuth
  key: string
  spy: ReturnType<typeof createStoreSpy>
}> {
  const spy = createStoreSpy()
  const auth = createApiKeyAuth({ store: spy.store, logger: createLogSink().logger })
  const { key } = await auth.createKey({ userId: 'u1', name: 'k', scopes: ['models:read'] })
  return { auth, key, spy }
}

const codeOf = (result: Awaited<ReturnType<typeof authenticateRequest>>): string =>
  result.ok ? 'ok' : (result.response.body as { error: { code: string } }).error.code

describe('authenticateRequest', () => {
  test('a valid key gives the principal', async () => {
    const { auth, key } = await setup()
    const result = await authenticateRequest(auth, { headers: { authorization: `Bearer ${key}` } })
    expect(result).toMatchObject({ ok: true, principal: { userId: 'u1', scopes: ['models:read'] } })
  })

  test('HDR-16 two Authorization lines in rawHeaders, in any letter case, are INVALID_FORMAT with no lookup', async () => {
    const { auth, key, spy } = await setup()
    for (const second of ['Authorization', 'authorization', 'AUTHORIZATION']) {
      const before = spy.calls.findByHash
      const result = await authenticateRequest(auth, {
        headers: { authorization: `Bearer ${key}` },
        rawHeaders: ['Authorization', `Bearer ${key}`, 'Host', 'x', second, 'Bearer nope'],
      })
      expect(codeOf(result)).toBe('INVALID_FORMAT')
      expect(spy.calls.findByHash).toBe(before)
    }
    const single = await authenticateRequest(auth, {
      headers: { authorization: `Bearer ${key}` },
      rawHeaders: ['Authorization', `Bearer ${key}`, 'X-Authorization', 'y'],
    })
    expect(codeOf(single)).toBe('ok')
  })

  test('scopes are checked: 403 with the challenge naming the missing scope', async () => {
    const { auth, key } = await setup()
    const result = await authenticateRequest(
      auth,
      { headers: { authorization: `Bearer ${key}` } },
      ['models:write'],
    )
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.response.status).toBe(403)
    expect(result.response.headers['www-authenticate']).toBe(
      'Bearer realm="vydra", error="insufficient_scope", scope="models:write"',
    )
  })

  test('FAIL-07 a store that throws synchronously becomes a 503 response, never a rejection', async () => {
    const { auth, key, spy } = await setup()
    auth.close()
    const fresh = createApiKeyAuth({
      store: spy.store,
      cache: false,
      logger: createLogSink().logger,
    })
    spy.behave.findByHash = { kind: 'throw-sync', error: new TypeError('boom') }
    const result = await authenticateRequest(fresh, { headers: { authorization: `Bearer ${key}` } })
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.response.status).toBe(503)
    expect(result.response.headers['retry-after']).toBeDefined()
  })

  test('absent, empty and non-string header values are 401s, never throws', async () => {
    const { auth } = await setup()
    const values: [unknown, string][] = [
      [undefined, 'MISSING_AUTH'],
      ['', 'MISSING_AUTH'],
      [[], 'MISSING_AUTH'],
      [42, 'INVALID_FORMAT'],
      [{}, 'INVALID_FORMAT'],
    ]
    for (const [value, code] of values) {
      const result = await authenticateRequest(auth, {
        headers: { authorization: value as string },
      })
      expect(codeOf(result)).toBe(code)
    }
  })
})
