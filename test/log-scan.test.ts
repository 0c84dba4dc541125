/**
 * The log scan every test runs (test/support/log-scan.ts): it must see keys, secrets, digests,
 * JWTs, peppers and session secrets in what the library logs, and nothing else.
 */
import { createHmac, randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createApiKeyAuth, formatKeyPrefix, generateApiKey, hashApiKey } from '../src/index.js'
import { createLogSink } from './support/log-sink.js'
import {
  collectLogFindings,
  findSecrets,
  registerKey,
  registerSecret,
  unregisterSecret,
} from './support/secret-scan.js'
import { createStoreSpy } from './support/store-spy.js'

const kinds = (text: string): string[] => findSecrets(text).map((f) => f.kind)

describe('the log scan', () => {
  it('finds a key, its secret, its digests, a JWT and registered secrets', () => {
    const key = generateApiKey('org_team_42')
    const secret = key.slice(-38)
    expect(kinds(`store timed out { key: '${key}' }`)).toContain('API key')
    expect(kinds(`oops ${secret}`)).toContain('secret-like base62 run')
    expect(kinds(`digest=${hashApiKey(key)}`)).toContain('hex digest')
    expect(kinds(`mac ${createHmac('sha256', 'p').update(key).digest('hex')}`)).toContain(
      'hex digest',
    )
    const jwt =
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MTIzIiwiZXhwIjoxfQ.c2lnbmF0dXJlLXNpZ25hdHVyZS0xMjM0NQ'
    expect(kinds(`session ${jwt}`)).toContain('JWT')
    registerSecret('pepper-with-dashes-42')
    expect(kinds('using pepper-with-dashes-42')).toContain('configured secret')
    registerKey(key)
    // Nine characters of the secret, cut out of the middle: no regex sees them, the registry does.
    expect(kinds(`partial ${secret.slice(10, 19)}`)).toEqual(['piece of an issued key secret'])
  })

  it('leaves what the library may log alone: ids, key prefixes, user ids, dates, messages', () => {
    const key = generateApiKey('u'.repeat(64))
    for (const text of [
      `stored owner differs from the key { keyId: '${randomUUID()}' }`,
      `keyPrefix ${formatKeyPrefix(key)}`,
      `store returned a corrupt record list { userId: '${'u'.repeat(64)}' }`,
      `at ${new Date().toISOString()}`,
      'store findByHash failed { error: "Error: connect ECONNREFUSED 10.0.0.5:5432" }',
      `table conf_${'ab12'.repeat(3)} does not exist`,
    ]) {
      expect(findSecrets(text), text).toEqual([])
    }
  })

  it('reads what the default console logger writes (and what log sinks hold)', async () => {
    const spy = createStoreSpy()
    spy.behave.findByHash = { kind: 'defer' }
    // No logger option: the library writes to console.error itself.
    const auth = createApiKeyAuth({ store: spy.store, storeTimeoutMs: 5 })
    // The library's own line is captured: a registered phrase of it is found.
    registerSecret('findByHash timed out')
    try {
      await auth.verifyKey(generateApiKey('u123')).catch(() => undefined)
      expect(collectLogFindings()).toEqual(['console.error: configured secret (findByHash t…)'])
    } finally {
      unregisterSecret('findByHash timed out')
    }
    const key = generateApiKey('u123')
    console.error('[@vydra/auth] store timed out', { key })
    const sink = createLogSink()
    sink.logger.warn('lastUsedAt update failed', { digest: hashApiKey(key) })
    const found = collectLogFindings()
    expect(found.some((f) => f.startsWith('console.error: API key'))).toBe(true)
    expect(found.some((f) => f.startsWith('log sink warn: hex digest'))).toBe(true)
    // Each line is reported once: the scan after this test has nothing left to fail on.
    expect(collectLogFindings()).toEqual([])
    await spy.release('findByHash')
  })
})
