/** Attack class SCP (docs/security.md): scope escalation through wildcards, registries and malformed scopes. */
import { describe, expect, it } from 'vitest'
import { generateApiKey } from '../../src/index.js'
import { codeOf, errorOf, PRODUCT_SCOPES, recordFor, setup } from '../support/setup.js'

describe('SCP: scopes', () => {
  it('SCP-01 models:read passes a models:read route and gets 403 naming models:write on a write route', async () => {
    const { auth, issue } = setup()
    const { key } = await issue({ scopes: ['models:read'] })
    await expect(
      auth.authenticate(`Bearer ${key}`, { scopes: ['models:read'] }),
    ).resolves.toMatchObject({
      scopes: ['models:read'],
    })
    const error = await errorOf(() =>
      auth.authenticate(`Bearer ${key}`, { scopes: ['models:write'] }),
    )
    expect(error).toMatchObject({ code: 'INSUFFICIENT_SCOPE', status: 403 })
    const response = auth.errorResponse(error)
    expect(response.status).toBe(403)
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="vydra", error="insufficient_scope", scope="models:write"',
    )
    expect(response.body.error.requiredScopes).toEqual(['models:write'])
    // LEAK-05: the granted scope is not disclosed.
    expect(JSON.stringify(response)).not.toContain('models:read')
  })

  it('SCP-02 models:* grants models:read and models:write only', async () => {
    const { auth, issue } = setup()
    const { key } = await issue({ scopes: ['models:*'] })
    for (const scope of ['models:read', 'models:write', 'models:*', 'models:a:b']) {
      await expect(auth.verifyKey(key, { scopes: [scope] }), scope).resolves.toBeDefined()
    }
    for (const scope of [
      'jobs:read',
      'jobs:*',
      'upload:write',
      'upload:*',
      'account:read',
      '*',
      'models',
    ]) {
      expect(await codeOf(() => auth.verifyKey(key, { scopes: [scope] })), scope).toBe(
        'INSUFFICIENT_SCOPE',
      )
    }
  })

  it('SCP-03 * grants every route including account:read', async () => {
    const { auth, issue } = setup()
    const { key } = await issue({ scopes: ['*'] })
    for (const scope of [...PRODUCT_SCOPES, 'account:write', 'a:b:c']) {
      await expect(auth.verifyKey(key, { scopes: [scope] }), scope).resolves.toBeDefined()
    }
    await expect(auth.verifyKey(key, { scopes: [...PRODUCT_SCOPES] })).resolves.toBeDefined()
  })

  it('SCP-04 jobs:* on an upload route and account:read on account:write are 403', async () => {
    const { auth, issue } = setup()
    const jobs = await issue({ scopes: ['jobs:*'] })
    const account = await issue({ scopes: ['account:read'] })
    expect(await codeOf(() => auth.verifyKey(jobs.key, { scopes: ['upload:write'] }))).toBe(
      'INSUFFICIENT_SCOPE',
    )
    expect(await codeOf(() => auth.verifyKey(account.key, { scopes: ['account:write'] }))).toBe(
      'INSUFFICIENT_SCOPE',
    )
    // All required scopes must be held, not just one.
    expect(
      await codeOf(() => auth.verifyKey(jobs.key, { scopes: ['jobs:read', 'upload:write'] })),
    ).toBe('INSUFFICIENT_SCOPE')
    const error = await errorOf(() =>
      auth.verifyKey(jobs.key, { scopes: ['jobs:read', 'upload:write'] }),
    )
    expect((error as { requiredScopes: string[] }).requiredScopes).toEqual(['upload:write'])
  })

  it('SCP-06 stored scopes are compared case-sensitively', async () => {
    const { auth, spy } = setup()
    const key = generateApiKey('u123')
    await spy.memory.insert(recordFor(key, { scopes: ['Models:Read', 'MODELS:*'] }))
    expect(await codeOf(() => auth.verifyKey(key, { scopes: ['models:read'] }))).toBe(
      'INSUFFICIENT_SCOPE',
    )
  })

  it('SCP-09 a record with [] scopes is denied on every scoped route (403)', async () => {
    const { auth, spy } = setup()
    const key = generateApiKey('u123')
    await spy.memory.insert(recordFor(key, { scopes: [] }))
    for (const scope of PRODUCT_SCOPES) {
      expect(await codeOf(() => auth.verifyKey(key, { scopes: [scope] })), scope).toBe(
        'INSUFFICIENT_SCOPE',
      )
    }
  })

  it('SCP-09 record scopes null, undefined, "", "*", {} or non-strings fail closed (503), never unrestricted', async () => {
    for (const scopes of [null, undefined, '', '*', {}, [42], ['*', null], { length: 1, 0: '*' }]) {
      const { auth, spy, logs } = setup()
      const key = generateApiKey('u123')
      spy.findResult = () => recordFor(key, { scopes })
      expect(await codeOf(() => auth.verifyKey(key)), JSON.stringify(scopes)).toBe(
        'AUTH_UNAVAILABLE',
      )
      expect(await codeOf(() => auth.verifyKey(key, { scopes: ['models:read'] }))).toBe(
        'AUTH_UNAVAILABLE',
      )
      expect(auth.cacheStats()).toMatchObject({ positive: 0, negative: 0 })
      expect(logs.count('error')).toBeGreaterThan(0)
    }
  })

  it('SCP-10 creation with bad scopes is VALIDATION_ERROR and persists nothing (registry of the 7 product scopes)', async () => {
    const { auth, spy } = setup({ scopes: [...PRODUCT_SCOPES] })
    const bad: unknown[] = [
      [],
      ['admin'],
      ['models:delete'],
      ['account:*'],
      ['*:read'],
      ['models:*:read'],
      ['models:'],
      [':read'],
      [' models:read'],
      ['x'.repeat(101)],
      Array.from({ length: 1000 }, () => 'models:read'),
      [42],
      [null],
      [{}],
      'models:read',
      {},
    ]
    for (const scopes of bad) {
      const error = await errorOf(() =>
        auth.createKey({ userId: 'u123', name: 'k', scopes: scopes as string[] }),
      )
      expect(error, JSON.stringify(scopes).slice(0, 40)).toMatchObject({ code: 'VALIDATION_ERROR' })
    }
    expect(spy.calls.insert).toBe(0)
    // Every product scope is accepted; duplicates are collapsed (decision: dedup, not 400).
    const ok = await auth.createKey({
      userId: 'u123',
      name: 'k',
      scopes: [...PRODUCT_SCOPES, 'models:read'],
    })
    expect(ok.apiKey.scopes).toEqual([...PRODUCT_SCOPES])
    const [stored] = await spy.memory.listByUser('u123')
    expect(stored?.scopes).toEqual([...PRODUCT_SCOPES])
  })

  it("SCP-10 a scope the registry rejects is named in the error (it is the caller's own input)", async () => {
    const { auth } = setup({ scopes: [...PRODUCT_SCOPES] })
    const error = await errorOf(() =>
      auth.createKey({
        userId: 'u123',
        name: 'k',
        scopes: ['models:read', 'admin', 'jobs:delete'],
      }),
    )
    expect(error).toMatchObject({
      code: 'VALIDATION_ERROR',
      issues: [{ path: ['scopes'], message: 'not in the scope registry: "admin", "jobs:delete"' }],
    })
    const body = (error as { toResponse(): { body: unknown } }).toResponse().body
    expect(JSON.stringify(body)).toContain(
      'not in the scope registry: \\"admin\\", \\"jobs:delete\\"',
    )
  })

  it('SCP-10 without a registry malformed scopes are still rejected', async () => {
    const { auth } = setup()
    for (const scope of ['*:read', 'models:*:read', '', ' ', 'a b', 'models:', ':x', '**']) {
      expect(
        await codeOf(() => auth.createKey({ userId: 'u123', name: 'k', scopes: [scope] })),
        scope,
      ).toBe('VALIDATION_ERROR')
    }
  })

  it('SCP-12 a typo or unknown required scope is a configuration error at set-up', () => {
    const { auth } = setup({ scopes: [...PRODUCT_SCOPES] })
    for (const scope of [
      'model:read',
      'modles:read',
      'account:write',
      'models:',
      '',
      'x'.repeat(101),
    ]) {
      expect(() => auth.requireScopes([scope]), scope).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      )
    }
    expect(auth.requireScopes(['models:read', 'jobs:read', 'upload:write'])).toEqual([
      'models:read',
      'jobs:read',
      'upload:write',
    ])
    const open = setup().auth
    expect(() => open.requireScopes(['models:'])).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
    )
    expect(() => open.requireScopes('models:read' as unknown as string[])).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
    )
  })
})
