/**
 * Key metadata validation (`src/service/key-metadata.ts`), written against surviving mutants
 * (docs/testing.md, mutation testing): each refusal names its reason, and the limits are exact.
 */
import { describe, expect, it } from 'vitest'
import { createApiKeyAuth, MemoryKeyStore } from '../../src/index.js'
import { registerKey } from '../support/secret-scan.js'

const auth = (): ReturnType<typeof createApiKeyAuth> =>
  createApiKeyAuth({ store: new MemoryKeyStore(), logger: false })

const outcome = async (metadata: unknown): Promise<unknown> => {
  try {
    const created = await auth().createKey({ userId: 'u1', name: 'm', metadata: metadata as never })
    registerKey(created.key)
    return 'ok'
  } catch (error) {
    const e = error as { code?: string; issues?: { path: unknown[]; message: string }[] }
    return e.code === 'VALIDATION_ERROR' ? e.issues?.[0]?.message : error
  }
}

describe('metadata', () => {
  it.each([
    ['a string and a boolean value', { s: 'x', b: true, n: null }],
    ['an object without a prototype', Object.assign(Object.create(null) as object, { a: 1 })],
    ['an object at the fifth level', { a: { b: { c: { d: {} } } } }],
    ['exactly 8192 bytes as JSON', { blob: 'x'.repeat(8192 - 11) }],
  ])('accepts %s', async (_, metadata) => {
    expect(await outcome(metadata)).toBe('ok')
  })

  it.each([
    ['null', null, 'must be a JSON object'],
    ['an array', [1, 2], 'must be a JSON object'],
    ['8193 bytes', { blob: 'x'.repeat(8192 - 10) }, 'must be at most 8192 bytes as JSON'],
    ['Infinity', { n: Number.POSITIVE_INFINITY }, 'numbers must be finite'],
    ['a NaN after a valid key', { a: 1, n: Number.NaN }, 'numbers must be finite'],
    ['a NaN in a list', { list: [Number.NaN] }, 'numbers must be finite'],
    ['a NaN after a valid item', { list: [1, Number.NaN] }, 'numbers must be finite'],
    ['lists nested too deep', { a: [[[[[1]]]]] }, 'must not nest deeper than 5 levels'],
    ['a number at the sixth level', { a: { b: { c: { d: { e: 1 } } } } }, 'ok'],
    [
      'an object at the sixth level',
      { a: { b: { c: { d: { e: {} } } } } },
      'must not nest deeper than 5 levels',
    ],
    ['undefined', { u: undefined }, 'must hold only JSON values (no functions, dates or classes)'],
    ['a date', { d: new Date(0) }, 'must hold only JSON values (no functions, dates or classes)'],
    ['a symbol key', { [Symbol('s')]: 1 }, 'must not have symbol keys'],
    [
      'a __proto__ key',
      JSON.parse('{"__proto__": 1}') as object,
      'must not have a "__proto__" key',
    ],
    ['a constructor key', { constructor: 1 }, 'must not have a "constructor" key'],
    ['a prototype key', { prototype: 1 }, 'must not have a "prototype" key'],
  ])('%s: %s', async (_, metadata, expected) => {
    expect(await outcome(metadata)).toBe(expected)
  })
})
