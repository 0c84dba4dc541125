/**
 * The event stream (src/service/event-bus.ts, key-events.ts): payloads against strict zod
 * schemas, nothing secret in any event, listeners isolated from requests, bounded queue.
 */
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import {
  AUTH_EVENT_NAMES,
  createApiKeyAuth,
  createApiKeyGuard,
  MemoryKeyStore,
  generateApiKey,
  hashApiKey,
  type AuthEventMap,
  type AuthEventName,
} from '../src/index.js'
import { MAX_QUEUED_EVENTS } from '../src/service/event-bus.js'
import { eventSchemas, parseEvent } from './support/event-schemas.js'
import { createClock } from './support/clock.js'
import { createLogSink } from './support/log-sink.js'
import { findSecrets, registerKey } from './support/secret-scan.js'
import { setup, type Harness } from './support/setup.js'

// Listeners run on a later turn of the event loop.
const delivered = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

type Received = { [N in AuthEventName]: AuthEventMap[N] & { type: N } }[AuthEventName]

function record(h: Harness, names: readonly AuthEventName[] = AUTH_EVENT_NAMES): Received[] {
  const events: Received[] = []
  for (const name of names) h.auth.on(name, (event) => void events.push(event as Received))
  return events
}

describe('events', () => {
  it('key.created and key.revoked carry the key, owner, prefix, actor, reason and request', async () => {
    const h = setup()
    const events = record(h)
    const request = { method: 'POST', path: '/api/v1/api-keys', clientAddress: '203.0.113.7' }
    const created = await h.auth.createKey(
      { userId: 'u123', name: 'CI', scopes: ['models:read'], expiresInDays: 30 },
      { actor: { type: 'user', id: 'u123' }, request },
    )
    registerKey(created.key)
    await h.auth.revokeKey(
      { userId: 'u123', keyId: created.id },
      { actor: { type: 'key', id: created.id }, reason: 'rotated', request },
    )
    // Revoking again changes nothing: no second event.
    await h.auth.revokeKey({ userId: 'u123', keyId: created.id })
    await delivered()
    expect(events.map((e) => e.type)).toEqual(['key.created', 'key.revoked'])
    for (const event of events) parseEvent(event)
    expect(events[0]).toMatchObject({
      keyId: created.id,
      userId: 'u123',
      keyPrefix: created.keyPrefix,
      actor: { type: 'user', id: 'u123' },
      request,
      name: 'CI',
      scopes: ['models:read'],
      at: new Date(h.clock.time),
    })
    expect(events[1]).toMatchObject({ reason: 'rotated', actor: { type: 'key', id: created.id } })
  })

  it('auth.denied names the code, the route scopes and, for a known key only, the key', async () => {
    const h = setup()
    const { key, id } = await h.issue({ scopes: ['models:read'] })
    const denied = record(h, ['auth.denied'])
    const unknown = generateApiKey('u123')
    registerKey(unknown)
    await expect(h.auth.verifyKey(key, { scopes: ['models:write'] })).rejects.toThrow()
    await expect(h.auth.verifyKey(unknown)).rejects.toThrow()
    await expect(h.auth.verifyKey(unknown)).rejects.toThrow() // the negative cache answers
    await expect(h.auth.verifyKey('nope')).rejects.toThrow()
    await expect(h.auth.authenticate('Basic abc')).rejects.toThrow()
    h.clock.advance(1000)
    await h.auth.revokeKey({ userId: 'u123', keyId: id })
    await expect(h.auth.verifyKey(key)).rejects.toThrow()
    await delivered()
    for (const event of denied) parseEvent(event)
    expect(denied.map((e) => [e.type, (e as AuthEventMap['auth.denied']).code])).toEqual([
      ['auth.denied', 'INSUFFICIENT_SCOPE'],
      ['auth.denied', 'KEY_NOT_FOUND'],
      ['auth.denied', 'KEY_NOT_FOUND'],
      ['auth.denied', 'INVALID_FORMAT'],
      ['auth.denied', 'INVALID_FORMAT'],
      ['auth.denied', 'KEY_REVOKED'],
    ])
    expect(denied[0]).toMatchObject({ keyId: id, userId: 'u123', requiredScopes: ['models:write'] })
    for (const event of denied.slice(1, 5)) {
      expect(event).toMatchObject({ keyId: null, userId: null, keyPrefix: null })
    }
    expect(denied[5]).toMatchObject({ keyId: id, code: 'KEY_REVOKED' })
  })

  it('a store failure is auth.denied AUTH_UNAVAILABLE with its reason', async () => {
    const h = setup()
    h.spy.behave.findByHash = { kind: 'reject' }
    const denied = record(h, ['auth.denied'])
    await expect(h.auth.verifyKey(generateApiKey('u123'))).rejects.toMatchObject({
      code: 'AUTH_UNAVAILABLE',
    })
    await delivered()
    expect(denied).toMatchObject([{ code: 'AUTH_UNAVAILABLE', reason: 'store_error' }])
  })

  it('the guard passes method, path and client address, and nothing else of the request', async () => {
    const h = setup()
    const { key } = await h.issue({ scopes: ['models:read'] })
    const denied = record(h, ['auth.denied'])
    const guard = createApiKeyGuard(h.auth, { scopes: ['models:write'] })
    const result = await guard({
      headers: { authorization: `Bearer ${key}`, cookie: '__session=secret-cookie-value' },
      method: 'GET',
      path: '/api/v1/models',
      clientAddress: '198.51.100.4',
    })
    expect(result.ok).toBe(false)
    await delivered()
    parseEvent(denied[0])
    expect(denied[0]?.request).toEqual({
      method: 'GET',
      path: '/api/v1/models',
      clientAddress: '198.51.100.4',
    })
  })

  it('no event holds a key, a secret, a digest, a cookie or a token', async () => {
    const h = setup({ pepper: 'a pepper of at least thirty-two bytes!!' })
    const events = record(h)
    const { key, id } = await h.issue()
    await h.auth.verifyKey(key, { scopes: ['jobs:run'] }).catch(() => {})
    const wrong = key.slice(0, -6) + generateApiKey('u123').slice(-6)
    await h.auth.verifyKey(wrong).catch(() => {})
    const guard = createApiKeyGuard(h.auth)
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MTIzIn0.c2lnbmF0dXJlc2lnbmF0dXJl'
    await guard({ headers: { authorization: `Bearer ${token}`, cookie: `__session=${token}` } })
    await h.auth.revokeKey({ userId: 'u123', keyId: id }, { reason: 'test' })
    await delivered()
    expect(events.length).toBeGreaterThanOrEqual(5)
    const digest = hashApiKey(key)
    for (const event of events) {
      const text = `${JSON.stringify(event)} ${inspect(event, { depth: 10, showHidden: true })}`
      expect(findSecrets(text), event.type).toEqual([])
      expect(text).not.toContain(key)
      expect(text).not.toContain(digest)
      expect(text).not.toContain(token)
    }
  })

  it('a throwing, rejecting or slow listener never affects a request; failures are logged', async () => {
    const h = setup()
    let slowStarted = false
    h.auth.on('key.created', () => {
      throw new Error('listener bug')
    })
    h.auth.on('key.created', () => Promise.reject(new Error('async listener bug')))
    h.auth.on('key.created', () => {
      slowStarted = true
      const until = Date.now() + 50
      while (Date.now() < until) {
        // A listener that blocks the CPU: it runs after the request, not within it.
      }
    })
    h.auth.on('key.created', () => new Promise<void>(() => {})) // never settles
    const { key } = await h.issue()
    expect(slowStarted).toBe(false)
    expect(await h.auth.verifyKey(key)).toMatchObject({ userId: 'u123' })
    await delivered()
    await delivered()
    expect(slowStarted).toBe(true)
    const failures = h.logs.lines.filter((l) => l.message === 'event listener failed')
    expect(failures.map((l) => l.context?.error)).toEqual([
      'Error: listener bug',
      'Error: async listener bug',
    ])
    expect(failures[0]?.context?.event).toBe('key.created')
  })

  it('on() returns an unsubscribe; an unknown name or a non-function is CONFIGURATION_ERROR', async () => {
    const h = setup()
    const seen: string[] = []
    const off = h.auth.on('key.created', (e) => void seen.push(e.keyId))
    await h.issue()
    await delivered()
    off()
    off()
    await h.issue()
    await delivered()
    expect(seen).toHaveLength(1)
    expect(() => h.auth.on('key.nope' as AuthEventName, () => {})).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
    )
    expect(() => h.auth.on('key.created', 'x' as never)).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
    )
  })

  it('payloads are frozen: one listener cannot change what the next one sees', async () => {
    const h = setup()
    const first: AuthEventMap['key.created'][] = []
    h.auth.on('key.created', (e) => void first.push(e))
    await h.issue()
    await delivered()
    expect(Object.isFrozen(first[0])).toBe(true)
    expect(Object.isFrozen(first[0]?.scopes)).toBe(true)
  })

  it('events beyond the queue bound are dropped and counted in one warning', async () => {
    const h = setup()
    const denied = record(h, ['auth.denied'])
    const total = MAX_QUEUED_EVENTS + 25
    const all: Promise<unknown>[] = []
    for (let i = 0; i < total; i++) all.push(h.auth.verifyKey('nope').catch(() => {}))
    await Promise.all(all)
    await delivered()
    expect(denied).toHaveLength(MAX_QUEUED_EVENTS)
    expect(h.logs.lines.filter((l) => l.message.startsWith('events dropped'))).toMatchObject([
      { level: 'warn', context: { dropped: 25 } },
    ])
  })

  it('close() delivers queued events at once', async () => {
    const h = setup()
    const events = record(h, ['key.created'])
    await h.issue()
    await h.auth.close()
    expect(events).toHaveLength(1)
  })

  it('revokeByKey emits key.revoked and, for a leak, key.leaked (actor: system)', async () => {
    const h = setup()
    const events = record(h, ['key.revoked', 'key.leaked'])
    const { key, id } = await h.issue()
    const result = await h.auth.revokeByKey(key, { source: 'https://github.com/o/r/blob/x' })
    expect(result.status).toBe('revoked')
    await h.auth.revokeByKey(key) // already revoked: no event
    await delivered()
    for (const event of events) parseEvent(event)
    expect(events).toMatchObject([
      { type: 'key.revoked', keyId: id, reason: 'leaked', actor: { type: 'system' } },
      { type: 'key.leaked', keyId: id, url: 'https://github.com/o/r/blob/x', revoked: true },
    ])
  })

  it('lifecycle: key.rolled, key.disabled/key.enabled (on a change only), key.updated with the fields', async () => {
    const clock = createClock()
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      now: clock.now,
      logger: createLogSink().logger,
    })
    const events: Received[] = []
    for (const name of AUTH_EVENT_NAMES) auth.on(name, (e) => void events.push(e as Received))
    const created = await auth.createKey({
      userId: 'u1',
      name: 'a',
      scopes: ['models:read', 'jobs:read'],
    })
    registerKey(created.key)
    const actor = { type: 'user', id: 'u1' } as const
    await auth.disableKey({ userId: 'u1', keyId: created.id }, { actor, reason: 'suspicious' })
    await auth.disableKey({ userId: 'u1', keyId: created.id }) // already disabled: no event
    await auth.enableKey({ userId: 'u1', keyId: created.id }, { actor })
    await auth.updateKey({ userId: 'u1', keyId: created.id, name: 'b', scopes: ['models:read'] })
    const rolled = await auth.rollKey({ userId: 'u1', keyId: created.id, actorId: 'u1' })
    registerKey(rolled.key)
    await delivered()
    for (const event of events) parseEvent(event)
    expect(events.map((e) => e.type)).toEqual([
      'key.created',
      'key.disabled',
      'key.enabled',
      'key.updated',
      'key.rolled',
    ])
    expect(events[1]).toMatchObject({ keyId: created.id, reason: 'suspicious', actor })
    expect(events[3]).toMatchObject({ changes: ['name', 'scopes'] })
    expect(events[4]).toMatchObject({
      keyId: created.id,
      keyPrefix: created.keyPrefix,
      newKeyId: rolled.id,
      newKeyPrefix: rolled.keyPrefix,
      graceUntil: rolled.previous.expiresAt,
      actor,
    })
  })

  it('a rate limit refusal emits limit.hit with the key, its prefix, the request and when to retry', async () => {
    const h = setup({ limits: { defaults: { rate: [{ name: 'd', limit: 1, windowMs: 60_000 }] } } })
    const hits = record(h, ['limit.hit'])
    const { key, id } = await h.issue()
    const guard = createApiKeyGuard(h.auth)
    const request = {
      headers: { authorization: `Bearer ${key}`, cookie: 'session=s3cr3t' },
      method: 'POST',
      path: '/api/v1/generate',
      clientAddress: '203.0.113.7',
    }
    expect((await guard(request)).ok).toBe(true)
    expect((await guard(request)).ok).toBe(false)
    await delivered()
    for (const event of hits) parseEvent(event)
    const prefix = (await h.auth.listKeys('u123'))[0]?.keyPrefix
    expect(prefix).toMatch(/^vydra_live_user_u123_/)
    expect(hits).toEqual([
      {
        type: 'limit.hit',
        at: expect.any(Date),
        keyId: id,
        userId: 'u123',
        keyPrefix: prefix,
        limit: 'rate',
        retryAfterMs: expect.any(Number),
        // Only the three documented fields: no header, no cookie, no key.
        request: { method: 'POST', path: '/api/v1/generate', clientAddress: '203.0.113.7' },
      },
    ])
    expect(JSON.stringify(hits)).not.toContain(key)
    expect((hits[0] as AuthEventMap['limit.hit']).retryAfterMs).toBeGreaterThan(0)
  })

  it('limit.hit from chargeLimits without a request has request null', async () => {
    const h = setup({ limits: { defaults: { credits: { remaining: 0 } } } })
    const hits = record(h, ['limit.hit'])
    const { key } = await h.issue()
    const principal = await h.auth.verifyKey(key)
    await expect(h.auth.chargeLimits(principal)).rejects.toMatchObject({
      code: 'CREDITS_EXHAUSTED',
    })
    await delivered()
    for (const event of hits) parseEvent(event)
    expect(hits).toMatchObject([{ limit: 'credits', retryAfterMs: null, request: null }])
    expect((hits[0] as AuthEventMap['limit.hit']).keyPrefix).toMatch(/^vydra_live_user_u123_/)
  })

  it('every event name has a schema', () => {
    expect(Object.keys(eventSchemas).sort()).toEqual([...AUTH_EVENT_NAMES].sort())
  })
})
