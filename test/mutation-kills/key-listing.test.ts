/**
 * `listKeyPage` (`src/service/key-listing.ts`), written against surviving mutants
 * (docs/testing.md, mutation testing): page limits, every status filter, cursors that are not
 * this list's, the environment of a shared store, and where the last page ends.
 */
import { describe, expect, it } from 'vitest'
import { AuthError, createApiKeyAuth, MemoryKeyStore } from '../../src/index.js'
import { encodeBase64Url } from '../../src/lib/base64url.js'
import { createClock } from '../support/clock.js'
import { registerKey } from '../support/secret-scan.js'
import { codeOf, errorOf } from '../support/setup.js'

async function withKeys(count: number, memory = new MemoryKeyStore(), environment = 'live') {
  const clock = createClock()
  const auth = createApiKeyAuth({ store: memory, environment, now: clock.now, logger: false })
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    const { id, key } = await auth.createKey({ userId: 'u1', name: `k${i}` })
    registerKey(key)
    ids.push(id)
    clock.advance(1_000)
  }
  return { auth, ids, memory }
}

describe('listKeyPage', () => {
  it('pages end exactly: limit 2 over 3 keys, then 1 key and no cursor; 2 over 2: no cursor', async () => {
    const { auth, ids } = await withKeys(3)
    const first = await auth.listKeyPage({ userId: 'u1', limit: 2 })
    expect(first.keys.map((k) => k.id)).toEqual(ids.slice(0, 2))
    expect(first.nextCursor).not.toBeNull()
    const second = await auth.listKeyPage({
      userId: 'u1',
      limit: 2,
      cursor: first.nextCursor ?? '',
    })
    expect(second).toEqual({ keys: [expect.objectContaining({ id: ids[2] })], nextCursor: null })
    const exact = await auth.listKeyPage({ userId: 'u1', limit: 3 })
    expect(exact.keys).toHaveLength(3)
    expect(exact.nextCursor).toBeNull()
    await auth.close()
  })

  it('every status filter is accepted and filters', async () => {
    const { auth, ids } = await withKeys(2)
    await auth.revokeKey({ userId: 'u1', keyId: ids[0] ?? '' })
    await auth.disableKey({ userId: 'u1', keyId: ids[1] ?? '' })
    const of = async (status: 'active' | 'disabled' | 'revoked' | 'expired' | 'all') =>
      (await auth.listKeyPage({ userId: 'u1', status })).keys.map((k) => k.id)
    expect(await of('revoked')).toEqual([ids[0]])
    expect(await of('disabled')).toEqual([ids[1]])
    expect(await of('active')).toEqual([])
    expect(await of('expired')).toEqual([])
    expect(await of('all')).toEqual(ids)
    await auth.close()
  })

  it('a limit out of range is a validation error naming the field', async () => {
    const { auth } = await withKeys(1)
    for (const limit of [0, 201, 1.5]) {
      const error = await errorOf(() => auth.listKeyPage({ userId: 'u1', limit }))
      expect(error).toBeInstanceOf(AuthError)
      expect((error as AuthError).issues?.map((i) => i.path)).toEqual([['limit']])
    }
    expect((await auth.listKeyPage({ userId: 'u1', limit: 200 })).keys).toHaveLength(1)
    await auth.close()
  })

  it('a cursor that is not one of this list is refused, with what to do', async () => {
    const { auth, ids } = await withKeys(1)
    const uuid = ids[0] ?? ''
    for (const cursor of [
      'not base64url!',
      encodeBase64Url(`x1700000000000.${uuid}`),
      encodeBase64Url(`1700000000000.${uuid}x`),
      encodeBase64Url(`1700000000000.${uuid}`).slice(0, -2),
    ]) {
      const error = await errorOf(() => auth.listKeyPage({ userId: 'u1', cursor }))
      expect((error as AuthError).issues).toEqual([
        { path: ['cursor'], message: 'not a cursor of this list (use nextCursor as given)' },
      ])
    }
    // Well-formed, it is a position: everything after it.
    const page = await auth.listKeyPage({
      userId: 'u1',
      cursor: encodeBase64Url(`0.${uuid.replace(/./g, (c) => (c === '-' ? '-' : '0'))}`),
    })
    expect(page.keys.map((k) => k.id)).toEqual([uuid])
    expect(await codeOf(() => auth.listKeyPage(undefined as never))).toBe('VALIDATION_ERROR')
    await auth.close()
  })

  it('lists only the keys of this environment from a shared store', async () => {
    const memory = new MemoryKeyStore()
    const live = await withKeys(1, memory, 'live')
    const test = await withKeys(2, memory, 'test')
    expect((await live.auth.listKeyPage({ userId: 'u1' })).keys.map((k) => k.id)).toEqual(live.ids)
    expect((await test.auth.listKeyPage({ userId: 'u1' })).keys.map((k) => k.id)).toEqual(test.ids)
    await Promise.all([live.auth.close(), test.auth.close()])
  })
})
