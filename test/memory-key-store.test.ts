/** `MemoryKeyStore` beyond the shared conformance suite: copies and listener isolation. */
import { describe, expect, it } from 'vitest'
import { generateApiKey, MemoryKeyStore } from '../src/index.js'
import { recordFor } from './support/setup.js'

describe('MemoryKeyStore', () => {
  it('hands out copies: mutating a returned record changes nothing stored', async () => {
    const store = new MemoryKeyStore()
    const record = recordFor(generateApiKey('u'))
    await store.insert(record)
    record.scopes.push('*')
    const found = await store.findByHash(record.hash)
    expect(found?.scopes).toEqual(['models:read'])
    found!.scopes.push('*')
    found!.revokedAt = new Date()
    const again = await store.findByHash(record.hash)
    expect(again).toMatchObject({ scopes: ['models:read'], revokedAt: null })
  })

  it('a throwing onRevoke listener neither fails the revocation nor starves other listeners', async () => {
    const store = new MemoryKeyStore()
    const record = recordFor(generateApiKey('u'))
    await store.insert(record)
    const heard: string[] = []
    store.onRevoke(() => {
      throw new Error('listener broke')
    })
    const off = store.onRevoke((hash) => heard.push(hash))
    const revoked = await store.revoke(record.id, 'u', new Date(5))
    expect(revoked?.revokedAt).toEqual(new Date(5))
    expect(heard).toEqual([record.hash])
    off()
    expect(store.size).toBe(1)
  })

  it('rejects duplicate ids and hashes', async () => {
    const store = new MemoryKeyStore()
    const record = recordFor(generateApiKey('u'))
    await store.insert(record)
    await expect(store.insert({ ...record, id: crypto.randomUUID() })).rejects.toThrow()
    await expect(store.insert({ ...record, hash: 'f'.repeat(64) })).rejects.toThrow()
  })
})
