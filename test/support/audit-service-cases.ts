/**
 * The audit log through the service, on any key store and audit store pair: every management
 * change writes one record (and a repeat none), with actor, request and reason; nothing secret
 * in any record; `listEvents` pages newest first and answers 404 for foreign keys.
 */
import { describe, expect, it } from 'vitest'
import {
  createApiKeyAuth,
  type ApiKeyAuth,
  type AuditStore,
  type KeyStore,
} from '../../src/index.js'
import { createClock, type FakeClock } from './clock.js'
import { createLogSink } from './log-sink.js'
import { registerKey } from './secret-scan.js'

export interface AuditPair {
  store: KeyStore
  auditStore: AuditStore
  /** Releases connections; called after each test. */
  close?: () => Promise<void> | void
}

const code = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => 'ok',
    (error: { code?: string }) => error.code,
  )

async function withAuth(
  make: () => Promise<AuditPair> | AuditPair,
  run: (auth: ApiKeyAuth, clock: FakeClock, pair: AuditPair) => Promise<void>,
): Promise<void> {
  const pair = await make()
  const clock = createClock(Date.UTC(2026, 0, 1) + Math.floor(Math.random() * 1e9))
  const auth = createApiKeyAuth({
    store: pair.store,
    auditStore: pair.auditStore,
    now: clock.now,
    logger: createLogSink().logger,
  })
  try {
    await run(auth, clock, pair)
  } finally {
    await auth.close()
    await pair.close?.()
  }
}

/** Registers the service-level audit cases for one store pair. */
export function auditServiceCases(name: string, make: () => Promise<AuditPair> | AuditPair): void {
  describe(`audit log through the service: ${name}`, () => {
    it('records every change once, newest first, with actor, request, reason and changes', async () => {
      await withAuth(make, async (auth, clock) => {
        const user = `u${Math.floor(Math.random() * 1e9)}`
        const actor = { type: 'user', id: user } as const
        const request = { method: 'POST', path: '/api/v1/api-keys', clientAddress: '203.0.113.9' }
        const created = await auth.createKey(
          {
            userId: user,
            name: 'ci',
            scopes: ['models:read', 'jobs:read'],
            metadata: { team: 'x' },
          },
          { actor, request },
        )
        registerKey(created.key)
        const keyId = created.id
        clock.advance(1_000)
        await auth.updateKey(
          { userId: user, keyId, scopes: ['models:read'], name: 'ci-2' },
          { actor },
        )
        clock.advance(1_000)
        await auth.disableKey({ userId: user, keyId }, { actor, reason: 'suspicious' })
        // A repeat changes nothing: no record.
        await auth.disableKey({ userId: user, keyId }, { actor })
        clock.advance(1_000)
        await auth.enableKey({ userId: user, keyId }, { actor })
        await auth.enableKey({ userId: user, keyId }, { actor })
        clock.advance(1_000)
        const rolled = await auth.rollKey({ userId: user, keyId, gracePeriodMs: 0 }, { actor })
        registerKey(rolled.key)
        clock.advance(1_000)
        await auth.revokeKey({ userId: user, keyId: rolled.id, reason: 'user' }, { actor })
        await auth.revokeKey({ userId: user, keyId: rolled.id }, { actor })

        const page = await auth.listEvents({ userId: user, keyId })
        expect(page.events.map((e) => e.action)).toEqual([
          'rolled',
          'enabled',
          'disabled',
          'updated',
          'created',
        ])
        expect(page.nextCursor).toBeNull()
        const [rolledRecord, , disabled, updated, createdRecord] = page.events
        expect(createdRecord).toMatchObject({
          keyId,
          userId: user,
          actor,
          request,
          reason: null,
          changes: { name: 'ci', scopes: ['models:read', 'jobs:read'], metadataKeys: ['team'] },
        })
        expect(updated?.changes).toEqual({ name: 'ci-2', scopes: ['models:read'] })
        expect(disabled?.reason).toBe('suspicious')
        expect(rolledRecord?.changes).toMatchObject({ newKeyId: rolled.id, gracePeriodMs: 0 })
        for (const event of page.events) expect(event.at).toBeInstanceOf(Date)
        expect(createdRecord?.at.getTime()).toBe(clock.time - 5_000)

        const next = await auth.listEvents({ userId: user, keyId: rolled.id })
        expect(next.events.map((e) => [e.action, e.reason])).toEqual([
          ['revoked', 'user'],
          ['created', null],
        ])
        expect(next.events[1]?.changes).toEqual({ rolledFrom: keyId })
        // Nothing of a key or a digest in any record.
        const text = JSON.stringify([page, next])
        expect(text).not.toContain(created.key)
        expect(text).not.toContain(rolled.key)
        expect(text).not.toMatch(/hash|pepper|secret/i)
      })
    })

    it('pages with a cursor, newest first, and validates limit and cursor', async () => {
      await withAuth(make, async (auth, clock) => {
        const user = `p${Math.floor(Math.random() * 1e9)}`
        const { id: keyId, key } = await auth.createKey({ userId: user, name: 'k' })
        registerKey(key)
        for (let i = 0; i < 6; i++) {
          clock.advance(10)
          await auth.updateKey({ userId: user, keyId, name: `n${i}` })
        }
        const seen: string[] = []
        let cursor: string | undefined
        for (let pages = 0; pages < 10; pages++) {
          const page = await auth.listEvents({
            userId: user,
            keyId,
            limit: 3,
            ...(cursor === undefined ? {} : { cursor }),
          })
          seen.push(...page.events.map((e) => String(e.changes?.name)))
          if (page.nextCursor === null) break
          cursor = page.nextCursor
        }
        expect(seen).toEqual(['n5', 'n4', 'n3', 'n2', 'n1', 'n0', 'k'])
        expect(await code(auth.listEvents({ userId: user, keyId, limit: 0 }))).toBe(
          'VALIDATION_ERROR',
        )
        expect(await code(auth.listEvents({ userId: user, keyId, limit: 201 }))).toBe(
          'VALIDATION_ERROR',
        )
        expect(await code(auth.listEvents({ userId: user, keyId, cursor: 'nope' }))).toBe(
          'VALIDATION_ERROR',
        )
      })
    })

    it("answers KEY_NOT_FOUND for another owner's key and an unknown id", async () => {
      await withAuth(make, async (auth) => {
        const user = `o${Math.floor(Math.random() * 1e9)}`
        const { id: keyId, key } = await auth.createKey({ userId: user, name: 'k' })
        registerKey(key)
        expect(await code(auth.listEvents({ userId: 'someone-else', keyId }))).toBe('KEY_NOT_FOUND')
        expect(await code(auth.listEvents({ userId: user, keyId: crypto.randomUUID() }))).toBe(
          'KEY_NOT_FOUND',
        )
        expect(await code(auth.listEvents({ userId: user, keyId: 'not-a-uuid' }))).toBe(
          'KEY_NOT_FOUND',
        )
      })
    })
  })
}
