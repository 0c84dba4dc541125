/**
 * Issue 15 in the guard every adapter uses: optional authentication (no header → no principal;
 * a header present is verified and refused when bad) and any-of scopes.
 */
import { describe, expect, test } from 'vitest'
import { createApiKeyGuard, type OptionalAuthResult } from '../../src/http/index.js'
import { createApiKeyAuth, type ApiKeyAuth, type RequiredScopes } from '../../src/index.js'
import { createLogSink } from '../support/log-sink.js'
import { createStoreSpy } from '../support/store-spy.js'

async function setup(): Promise<{
  auth: ApiKeyAuth
  keys: Record<'models' | 'jobs' | 'star', string>
  spy: ReturnType<typeof createStoreSpy>
}> {
  const spy = createStoreSpy()
  const auth = createApiKeyAuth({
    store: spy.store,
    scopes: ['models:read', 'jobs:read', 'account:read'],
    logger: createLogSink().logger,
  })
  const issue = async (scopes: string[]): Promise<string> =>
    (await auth.createKey({ userId: 'u1', name: 'k', scopes })).key
  const keys = {
    models: await issue(['models:read']),
    jobs: await issue(['jobs:read']),
    star: await issue(['*']),
  }
  return { auth, keys, spy }
}

const codeOf = (result: OptionalAuthResult): string =>
  result.ok
    ? result.principal === null
      ? 'anonymous'
      : 'ok'
    : (result.response.body as { error: { code: string } }).error.code

describe('optional authentication', () => {
  test('no header at all: ok with principal null, and the store is never asked', async () => {
    const { auth, spy } = await setup()
    const guard = createApiKeyGuard(auth, { optional: true })
    const before = spy.total()
    expect(await guard({ headers: {} })).toEqual({ ok: true, principal: null })
    expect(await guard({ headers: {}, rawHeaders: ['Host', 'x'] })).toEqual({
      ok: true,
      principal: null,
    })
    expect(spy.total()).toBe(before)
  })

  test('a header that is present is verified: empty, blank, malformed, unknown and duplicate are refused', async () => {
    const { auth, keys } = await setup()
    const guard = createApiKeyGuard(auth, { optional: true, scopes: ['models:read'] })
    const cases: [Parameters<typeof guard>[0], string][] = [
      [{ headers: { authorization: '' } }, 'MISSING_AUTH'],
      [{ headers: { authorization: '   ' } }, 'MISSING_AUTH'],
      [{ headers: { authorization: 'Bearer nope' } }, 'INVALID_FORMAT'],
      [{ headers: { authorization: 'Basic dXNlcjpwYXNz' } }, 'INVALID_FORMAT'],
      [{ headers: { authorization: `Bearer ${keys.jobs}` } }, 'INSUFFICIENT_SCOPE'],
      // Node keeps the first line in `headers`; the raw list shows the second.
      [
        {
          headers: { authorization: `Bearer ${keys.models}` },
          rawHeaders: ['Authorization', `Bearer ${keys.models}`, 'authorization', 'x'],
        },
        'INVALID_FORMAT',
      ],
      // A header only in the raw list (a framework that dropped it) is still a header.
      [{ headers: {}, rawHeaders: ['Authorization', 'Bearer nope'] }, 'MISSING_AUTH'],
      [{ headers: { authorization: `Bearer ${keys.models}` } }, 'ok'],
    ]
    for (const [request, code] of cases) {
      expect([request, codeOf(await guard(request))]).toEqual([request, code])
    }
  })

  test('a failing store with a header is 503, never anonymous', async () => {
    const spy = createStoreSpy()
    spy.behave.findByHash = { kind: 'reject', error: new Error('down') }
    const auth = createApiKeyAuth({ store: spy.store, logger: createLogSink().logger })
    const { key } = await createApiKeyAuth({ store: createStoreSpy().store }).createKey({
      userId: 'u1',
      name: 'k',
    })
    const guard = createApiKeyGuard(auth, { optional: true })
    const result = await guard({ headers: { authorization: `Bearer ${key}` } })
    expect(result.ok ? 200 : result.response.status).toBe(503)
  })

  test('optional must be a boolean; false behaves as without it', async () => {
    const { auth } = await setup()
    for (const optional of ['yes', 1, null, {}]) {
      expect(() => createApiKeyGuard(auth, { optional: optional as unknown as boolean })).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      )
    }
    const strict = createApiKeyGuard(auth, { optional: false })
    expect(codeOf(await strict({ headers: {} }))).toBe('MISSING_AUTH')
  })
})

describe('any-of scopes', () => {
  test('one alternative suffices; none is a 403 naming every alternative, once', async () => {
    const { auth, keys } = await setup()
    const guard = createApiKeyGuard(auth, {
      scopes: { anyOf: ['jobs:read', 'account:read', 'jobs:read'] },
    })
    expect(codeOf(await guard({ headers: { authorization: `Bearer ${keys.jobs}` } }))).toBe('ok')
    expect(codeOf(await guard({ headers: { authorization: `Bearer ${keys.star}` } }))).toBe('ok')
    const refused = await guard({ headers: { authorization: `Bearer ${keys.models}` } })
    expect(refused.ok).toBe(false)
    if (refused.ok) return
    expect(refused.response.status).toBe(403)
    expect(refused.response.headers['www-authenticate']).toBe(
      'Bearer realm="vydra", error="insufficient_scope", scope="jobs:read account:read"',
    )
    expect(refused.response.body).toMatchObject({
      error: { code: 'INSUFFICIENT_SCOPE', requiredScopes: ['jobs:read', 'account:read'] },
    })
  })

  test('verifyKey and authenticate take the any-of form too', async () => {
    const { auth, keys } = await setup()
    const anyOf = auth.checkRouteScopes({ anyOf: ['models:read', 'jobs:read'] })
    expect(Object.isFrozen(anyOf) && Object.isFrozen(anyOf.anyOf)).toBe(true)
    await expect(auth.verifyKey(keys.jobs, { scopes: anyOf })).resolves.toMatchObject({
      userId: 'u1',
    })
    await expect(
      auth.authenticate(`Bearer ${keys.models}`, { scopes: { anyOf: ['account:read'] } }),
    ).rejects.toMatchObject({ code: 'INSUFFICIENT_SCOPE', requiredScopes: ['account:read'] })
  })

  test('bad any-of lists are configuration errors at set-up and never grant per request', async () => {
    const { auth, keys } = await setup()
    const bad: unknown[] = [
      { anyOf: [] },
      { anyOf: 'models:read' },
      { anyOf: ['models:nope'] },
      { anyOf: ['models:'] },
      { anyOf: [42] },
      { anyOf: undefined },
    ]
    for (const scopes of bad) {
      expect(() => createApiKeyGuard(auth, { scopes: scopes as RequiredScopes })).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      )
    }
    for (const scopes of [{ anyOf: [] }, { anyOf: 'jobs:read' }, { anyOf: null }]) {
      await expect(
        auth.verifyKey(keys.star, { scopes: scopes as unknown as RequiredScopes }),
      ).rejects.toMatchObject({ code: 'CONFIGURATION_ERROR' })
    }
  })

  test('the guard names what it expected for scopes that are neither form', async () => {
    const { auth } = await setup()
    for (const scopes of ['models:read', 42, { all: ['models:read'] }]) {
      expect(() =>
        createApiKeyGuard(auth, { scopes: scopes as unknown as RequiredScopes }),
      ).toThrow(
        expect.objectContaining({
          code: 'CONFIGURATION_ERROR',
          message: expect.stringContaining('or { anyOf: [...] }') as string,
        }),
      )
    }
  })
})
