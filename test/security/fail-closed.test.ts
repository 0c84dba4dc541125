/** Attack class FAIL (docs/security.md): a failing, slow or lying store must never let a request through. */
import { describe, expect, it, vi } from 'vitest'
import { generateApiKey } from '../../src/index.js'
import { expectNoLeak } from '../support/leak.js'
import { codeOf, errorOf, recordFor, setup } from '../support/setup.js'

const expectUnavailable = (error: unknown, realm = 'vydra'): void => {
  expect(error).toMatchObject({ name: 'AuthError', code: 'AUTH_UNAVAILABLE', status: 503 })
  const response = (
    error as {
      toResponse(o?: { realm: string }): {
        status: number
        headers: Record<string, string>
        body: unknown
      }
    }
  ).toResponse({ realm })
  expect(response.status).toBe(503)
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0)
  expect(response.headers['cache-control']).toBe('no-store')
  expect(response.headers['www-authenticate']).toBeUndefined()
}

describe('FAIL: store failure and fail-closed', () => {
  it('FAIL-01 findByHash rejecting is 503 AUTH_UNAVAILABLE with Retry-After, logged without the key, nothing cached', async () => {
    const { auth, spy, logs, issue } = setup()
    const { key } = await issue()
    spy.behave.findByHash = {
      kind: 'reject',
      error: new Error('connect ECONNREFUSED 10.0.0.5:5432'),
    }
    const error = await errorOf(() => auth.authenticate(`Bearer ${key}`))
    expectUnavailable(error)
    const body = JSON.stringify(auth.errorResponse(error))
    expect(body).not.toContain('10.0.0.5')
    expect(body).not.toContain('ECONNREFUSED')
    expect(logs.text()).toContain('ECONNREFUSED')
    expectNoLeak([logs.text(), body, (error as Error).message, (error as Error).stack], key)
    expect(auth.cacheStats()).toMatchObject({ positive: 0, negative: 0, inflight: 0 })
    // Not cached: once the store is back, the same key verifies.
    spy.behave.findByHash = { kind: 'real' }
    await expect(auth.authenticate(`Bearer ${key}`)).resolves.toMatchObject({ userId: 'u123' })
  })

  it('FAIL-01 odd rejection values and synchronous throws are 503 too', async () => {
    const weird: unknown[] = [
      'a string',
      undefined,
      null,
      42,
      Symbol('s'),
      Object.create(null),
      { message: 'not an Error' },
      new TypeError('boom'),
    ]
    for (const value of weird) {
      const { auth, spy } = setup()
      spy.behave.findByHash = { kind: 'reject', error: value }
      // `reject` falls back to a default error for undefined; use throw-sync for that case.
      if (value === undefined) spy.behave.findByHash = { kind: 'throw-sync', error: value }
      expectUnavailable(await errorOf(() => auth.verifyKey(generateApiKey('u123'))))
      spy.behave.findByHash = { kind: 'throw-sync', error: value }
      expectUnavailable(await errorOf(() => auth.verifyKey(generateApiKey('u123'))))
      expect(auth.cacheStats()).toMatchObject({ positive: 0, negative: 0, inflight: 0 })
    }
  })

  it('FAIL-02 a hanging findByHash is 503 after storeTimeoutMs; its late answer caches nothing', async () => {
    const { auth, spy, logs, issue } = setup({ storeTimeoutMs: 25 })
    const { key } = await issue()
    spy.behave.findByHash = { kind: 'defer' }
    expectUnavailable(await errorOf(() => auth.authenticate(`Bearer ${key}`)))
    expect(logs.lines.some((l) => l.message.includes('timed out'))).toBe(true)
    expect(spy.pending('findByHash')).toBe(1)
    expect(auth.cacheStats().inflight).toBe(0)
    // The late answer arrives: nothing is cached from it.
    await spy.release('findByHash')
    expect(auth.cacheStats()).toMatchObject({ positive: 0, negative: 0, inflight: 0 })
    spy.behave.findByHash = { kind: 'real' }
    await auth.verifyKey(key)
    expect(spy.calls.findByHash).toBe(2)
  })

  it('FAIL-02 a late rejection after the timeout surfaces nowhere (no unhandled rejection)', async () => {
    const unhandled = vi.fn()
    process.on('unhandledRejection', unhandled)
    try {
      const { auth, spy } = setup({ storeTimeoutMs: 10 })
      spy.behave.findByHash = { kind: 'defer' }
      expectUnavailable(await errorOf(() => auth.verifyKey(generateApiKey('u123'))))
      spy.fail('findByHash', new Error('late failure'))
      // Node reports an unhandled rejection once the microtask queue of the current turn has
      // drained, before the event loop moves on: one setImmediate turn is the event to wait for.
      await new Promise((resolve) => setImmediate(resolve))
      expect(spy.pending('findByHash')).toBe(0)
      expect(unhandled).not.toHaveBeenCalled()
    } finally {
      process.off('unhandledRejection', unhandled)
    }
  })

  it('FAIL-04 a cached key is served only within the TTL while the store is down, never beyond', async () => {
    const { auth, spy, clock, issue } = setup({ cache: { ttlMs: 10_000 } })
    const { key } = await issue()
    await auth.verifyKey(key)
    spy.behave.findByHash = { kind: 'reject' }
    clock.advance(9_999)
    await expect(auth.verifyKey(key)).resolves.toBeDefined()
    clock.advance(1)
    expectUnavailable(await errorOf(() => auth.verifyKey(key)))
    clock.advance(60_000)
    expectUnavailable(await errorOf(() => auth.verifyKey(key)))
  })

  it('FAIL-04 a key revoked locally is never served from the cache while the store is down', async () => {
    const { auth, spy, issue } = setup()
    const { key, id } = await issue()
    await auth.verifyKey(key)
    await auth.revokeKey({ userId: 'u123', keyId: id })
    spy.behave.findByHash = { kind: 'reject' }
    expect(await codeOf(() => auth.verifyKey(key))).toBe('AUTH_UNAVAILABLE')
  })

  it('FAIL-05 an unreadable revocation status (missing, string, invalid date) is 503, never "not revoked"', async () => {
    const variants: Record<string, unknown>[] = [
      { revokedAt: undefined },
      { revokedAt: '2020-01-01T00:00:00Z' },
      { revokedAt: new Date('nope') },
      { revokedAt: 0 },
      { revokedAt: false },
    ]
    for (const overrides of variants) {
      const { auth, spy, logs } = setup()
      const key = generateApiKey('u123')
      spy.findResult = () => recordFor(key, overrides)
      expectUnavailable(await errorOf(() => auth.authenticate(`Bearer ${key}`)))
      expect(auth.cacheStats()).toMatchObject({ positive: 0, negative: 0 })
      expect(logs.count('error')).toBe(1)
      expectNoLeak(logs.text(), key)
    }
  })

  it('FAIL corrupt records (missing or bad fields) fail closed with 503 and are logged without the key', async () => {
    const variants: Record<string, unknown>[] = [
      { expiresAt: new Date(Number.NaN) },
      { expiresAt: '2030-01-01' },
      { expiresAt: 1e20 },
      { createdAt: undefined },
      { createdAt: 'yesterday' },
      { id: undefined },
      { id: '' },
      { userId: undefined },
      { name: undefined },
      { hash: undefined },
      { hash: 'deadbeef' },
      { lastUsedAt: 'later' },
      { scopes: undefined },
    ]
    for (const overrides of variants) {
      const { auth, spy, logs } = setup()
      const key = generateApiKey('u123')
      spy.findResult = () => recordFor(key, overrides)
      expect(await codeOf(() => auth.verifyKey(key)), JSON.stringify(overrides)).toBe(
        'AUTH_UNAVAILABLE',
      )
      expect(auth.cacheStats()).toMatchObject({ positive: 0, negative: 0 })
      expectNoLeak(logs.text(), key)
    }
    for (const record of [42, 'record', [], true]) {
      const { auth, spy } = setup()
      spy.findResult = () => record
      expect(await codeOf(() => auth.verifyKey(generateApiKey('u123'))), String(record)).toBe(
        'AUTH_UNAVAILABLE',
      )
    }
  })

  it('FAIL store errors in createKey, listKeys and revokeKey are 503 too', async () => {
    const { auth, spy, issue } = setup()
    const { id } = await issue()
    spy.behave.listByUser = { kind: 'reject' }
    expect(await codeOf(() => auth.listKeys('u123'))).toBe('AUTH_UNAVAILABLE')
    expect(await codeOf(() => auth.createKey({ userId: 'u123', name: 'x' }))).toBe(
      'AUTH_UNAVAILABLE',
    )
    spy.behave.listByUser = { kind: 'real' }
    spy.behave.insert = { kind: 'throw-sync' }
    expect(await codeOf(() => auth.createKey({ userId: 'u123', name: 'x' }))).toBe(
      'AUTH_UNAVAILABLE',
    )
    spy.behave.revoke = { kind: 'reject' }
    expect(await codeOf(() => auth.revokeKey({ userId: 'u123', keyId: id }))).toBe(
      'AUTH_UNAVAILABLE',
    )
    expect(await spy.memory.listByUser('u123')).toHaveLength(1)
  })
})

describe('FAIL: stores answering garbage', () => {
  const garbage: unknown[] = [undefined, 42, 'x', {}, [null], [42], true]

  it('FAIL-08 findByHash answering undefined or garbage is 503, not "not found" or a grant', async () => {
    for (const value of garbage) {
      const { auth, spy, issue } = setup()
      const { key } = await issue()
      spy.answer.findByHash = () => value
      expect(await codeOf(() => auth.verifyKey(key)), String(value)).toBe('AUTH_UNAVAILABLE')
      expect(auth.cacheStats()).toMatchObject({ positive: 0, negative: 0 })
    }
  })

  it('listByUser answering a non-array or corrupt records makes listKeys and createKey 503', async () => {
    for (const value of [...garbage, null, [{ id: 'x' }]]) {
      const { auth, spy } = setup()
      spy.answer.listByUser = () => value
      expect(await codeOf(() => auth.listKeys('u123')), JSON.stringify(value)).toBe(
        'AUTH_UNAVAILABLE',
      )
      expect(await codeOf(() => auth.createKey({ userId: 'u123', name: 'n' }))).toBe(
        'AUTH_UNAVAILABLE',
      )
      expect(spy.calls.insert).toBe(0)
    }
  })

  it('listKeys refuses a record of another user returned by the store (503)', async () => {
    const { auth, spy } = setup()
    spy.answer.listByUser = () => [recordFor(generateApiKey('mallory'))]
    expect(await codeOf(() => auth.listKeys('u123'))).toBe('AUTH_UNAVAILABLE')
  })

  it('revoke answering undefined or garbage is 503, never success', async () => {
    for (const value of [undefined, 42, 'x', {}, []]) {
      const { auth, spy, issue } = setup()
      const { id } = await issue()
      spy.answer.revoke = () => value
      expect(await codeOf(() => auth.revokeKey({ userId: 'u123', keyId: id })), String(value)).toBe(
        'AUTH_UNAVAILABLE',
      )
    }
  })

  it('revoke answering an unrevoked record is 503 (the revocation did not happen)', async () => {
    const { auth, spy, issue } = setup()
    const { id, key } = await issue()
    spy.answer.revoke = () => ({ ...recordFor(key), id })
    expect(await codeOf(() => auth.revokeKey({ userId: 'u123', keyId: id }))).toBe(
      'AUTH_UNAVAILABLE',
    )
  })
})
