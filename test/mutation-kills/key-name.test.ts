/**
 * The grammar of a key's name and of a revocation reason (`src/service/key-name.ts`), written
 * against surviving mutants (docs/testing.md, mutation testing): each refusal says why.
 */
import { describe, expect, it } from 'vitest'
import { createApiKeyAuth, MemoryKeyStore } from '../../src/index.js'
import { registerKey } from '../support/secret-scan.js'

const fail = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (created) => {
      const { key } = created as { key?: string }
      if (key !== undefined) registerKey(key)
      return 'ok'
    },
    (error: { code?: string; issues?: { message: string }[] }) => [
      error.code,
      error.issues?.map((i) => i.message),
    ],
  )

describe('a key name', () => {
  const auth = createApiKeyAuth({ store: new MemoryKeyStore(), logger: false })
  it('is refused blank or with a control character, with the reason', async () => {
    expect(await fail(auth.createKey({ userId: 'u1', name: '   ' }))).toEqual([
      'VALIDATION_ERROR',
      ['must not be blank'],
    ])
    expect(await fail(auth.createKey({ userId: 'u1', name: 'a\nb' }))).toEqual([
      'VALIDATION_ERROR',
      ['must not contain control characters'],
    ])
    expect(await fail(auth.createKey({ userId: 'u1', name: ' a ' }))).toBe('ok')
  })

  it('a revocation reason with a control character is refused', async () => {
    const created = await auth.createKey({ userId: 'u1', name: 'r' })
    registerKey(created.key)
    const error = await auth
      .revokeKey({ userId: 'u1', keyId: created.id, reason: 'a\u2028b' })
      .catch((e: unknown) => e)
    // The revocation schema's own message is replaced by the caller's (docs/errors.md).
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', issues: [{ path: ['reason'] }] })
  })

  it('is checked on update too (KEY_NAME_SCHEMA), with the reason', async () => {
    const created = await auth.createKey({ userId: 'u1', name: 'n' })
    registerKey(created.key)
    const update = (name: string): Promise<unknown> =>
      fail(auth.updateKey({ userId: 'u1', keyId: created.id, name }))
    expect(await update('   ')).toEqual(['VALIDATION_ERROR', ['must not be blank']])
    expect(await update('a\u0085b')).toEqual([
      'VALIDATION_ERROR',
      ['must not contain control characters'],
    ])
    expect(await update('x')).toBe('ok')
  })
})
