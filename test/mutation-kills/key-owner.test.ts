/**
 * Who a key operation acts for (`src/service/key-owner.ts`), written against surviving mutants
 * (docs/testing.md, mutation testing): the refusal names the field, an org key ignores `userId`,
 * and a user whose id begins with `org_` is still that user.
 */
import { describe, expect, it } from 'vitest'
import { createApiKeyAuth, MemoryKeyStore } from '../../src/index.js'
import { registerKey } from '../support/secret-scan.js'

const issues = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => 'ok',
    (error: { code?: string; issues?: unknown }) => [error.code, error.issues],
  )

describe('the owner of a key', () => {
  const auth = createApiKeyAuth({
    store: new MemoryKeyStore(),
    logger: false,
    ownerTypes: ['user', 'org'],
  })

  it('names the field that is wrong', async () => {
    const plain = createApiKeyAuth({ store: new MemoryKeyStore(), logger: false })
    expect(await issues(plain.createKey({ ownerType: 'org', ownerId: 'acme', name: 'x' }))).toEqual(
      ['VALIDATION_ERROR', [{ path: ['ownerType'], message: 'must be one of: user' }]],
    )
    expect(await issues(auth.createKey({ ownerType: 'svc', ownerId: 'a', name: 'x' }))).toEqual([
      'VALIDATION_ERROR',
      [{ path: ['ownerType'], message: 'must be one of: user, org' }],
    ])
    expect(await issues(auth.createKey({ userId: 'a b', name: 'x' }))).toEqual([
      'VALIDATION_ERROR',
      [{ path: ['userId'], message: 'must match [A-Za-z0-9_-]{1,64}' }],
    ])
    expect(await issues(auth.createKey({ ownerType: 'org', ownerId: 'a b', name: 'x' }))).toEqual([
      'VALIDATION_ERROR',
      [{ path: ['ownerId'], message: 'must match [A-Za-z0-9_-]{1,64}' }],
    ])
  })

  it('listing names the field that is wrong too', async () => {
    expect(await issues(auth.listKeyPage({ userId: 'a b' }))).toEqual([
      'VALIDATION_ERROR',
      [{ path: ['userId'], message: 'must match [A-Za-z0-9_-]{1,64}' }],
    ])
    expect(await issues(auth.listKeyPage({ ownerType: 'org', ownerId: 'a b' }))).toEqual([
      'VALIDATION_ERROR',
      [{ path: ['ownerId'], message: 'must match [A-Za-z0-9_-]{1,64}' }],
    ])
  })

  it('an org key ignores userId', async () => {
    const created = await auth.createKey({
      ownerType: 'org',
      ownerId: 'acme',
      userId: 'u1',
      name: 'x',
    })
    registerKey(created.key)
    expect(created.key.startsWith('vydra_live_org_acme_')).toBe(true)
    expect(created.apiKey.userId).toBe('org:acme')
  })

  it('a user whose id begins with org_ verifies as that user', async () => {
    const created = await auth.createKey({ userId: 'org_acme', name: 'x' })
    registerKey(created.key)
    const principal = await auth.verifyKey(created.key)
    expect(principal).toMatchObject({ userId: 'org_acme', ownerType: 'user' })
  })

  // A JavaScript caller (or a route handing over a missing body) may pass no owner at all: the
  // answer is the documented one, never a TypeError from reading a field of `undefined`.
  it('no owner at all: an empty list, and a listing refusal naming userId', async () => {
    expect(await auth.listKeys(undefined as never)).toEqual([])
    expect(await issues(auth.listKeyPage(undefined as never))).toEqual([
      'VALIDATION_ERROR',
      [{ path: ['userId'], message: 'must match [A-Za-z0-9_-]{1,64}' }],
    ])
  })
})
