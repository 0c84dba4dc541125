/** Attack class FMT (docs/security.md): malformed keys. Every one is INVALID_FORMAT with zero lookups. */
import { describe, expect, it } from 'vitest'
import { generateApiKey, SECRET_LENGTH } from '../../src/index.js'
import { codeOf, setup } from '../support/setup.js'

const secretOf = (key: string): string => key.slice(-SECRET_LENGTH)

describe('FMT: key format', () => {
  it('FMT-01 a test-environment key on a live instance is INVALID_FORMAT with no lookup', async () => {
    const { auth, spy } = setup()
    const testKey = generateApiKey('u123', { environment: 'test' })
    expect(await codeOf(() => auth.authenticate(`Bearer ${testKey}`))).toBe('INVALID_FORMAT')
    expect(await codeOf(() => auth.verifyKey(testKey))).toBe('INVALID_FORMAT')
    expect(spy.calls.findByHash).toBe(0)
  })

  it('FMT-02 environments are isolated both ways', async () => {
    const live = setup()
    const test = setup({ environment: 'test' })
    const liveKey = (await live.issue()).key
    const testKey = (await test.issue()).key
    expect(testKey.startsWith('vydra_test_user_u123_')).toBe(true)
    await expect(test.auth.verifyKey(testKey)).resolves.toMatchObject({ userId: 'u123' })
    await expect(live.auth.verifyKey(liveKey)).resolves.toMatchObject({ userId: 'u123' })
    expect(await codeOf(() => test.auth.verifyKey(liveKey))).toBe('INVALID_FORMAT')
    expect(await codeOf(() => live.auth.verifyKey(testKey))).toBe('INVALID_FORMAT')
    // Only the two successful verifications looked anything up.
    expect(live.spy.calls.findByHash + test.spy.calls.findByHash).toBe(2)
  })

  it('FMT-03 the prefix is case-sensitive: upper/mixed case is INVALID_FORMAT with no lookup', async () => {
    const { auth, spy, issue } = setup()
    const { key } = await issue()
    const rest = key.slice('vydra_live_user_'.length)
    for (const variant of [
      `VYDRA_LIVE_USER_${rest}`,
      `Vydra_live_user_${rest}`,
      `vydra_LIVE_user_${rest}`,
    ]) {
      expect(await codeOf(() => auth.authenticate(`Bearer ${variant}`))).toBe('INVALID_FORMAT')
    }
    expect(spy.calls.findByHash).toBe(0)
  })

  it('FMT-04 empty or missing userId, missing user segment or missing secret is INVALID_FORMAT', async () => {
    const { auth, spy, issue } = setup()
    const { key } = await issue()
    const R = secretOf(key)
    const cases = [
      `vydra_live_user__${R}`,
      `vydra_live_user_${R}`,
      `vydra_live__u123_${R}`,
      'vydra_live_user_u123_',
      'vydra_live_user_u123',
      `vydra_live_usr_u123_${R}`,
      `vydra_user_u123_${R}`,
      '',
    ]
    for (const candidate of cases) {
      expect(await codeOf(() => auth.verifyKey(candidate)), candidate).toBe('INVALID_FORMAT')
    }
    expect(spy.calls.findByHash).toBe(0)
  })

  it('FMT-05 a userId containing "_" is parsed from the right and the identity comes from the store', async () => {
    const { auth, issue } = setup()
    for (const userId of ['org_team_42', 'user_2abcXYZ', '_', '-_-', 'a'.repeat(64)]) {
      const { key } = await issue({ userId })
      expect(key.startsWith(`vydra_live_user_${userId}_`)).toBe(true)
      const principal = await auth.authenticate(`Bearer ${key}`)
      expect(principal.userId).toBe(userId)
    }
  })

  it('FMT-07 a random part of the wrong length is INVALID_FORMAT with no lookup', async () => {
    const { auth, spy, issue } = setup()
    const { key } = await issue()
    const head = key.slice(0, -SECRET_LENGTH)
    const R = secretOf(key)
    const cases = [
      head + R.slice(0, SECRET_LENGTH - 1),
      head + R + 'A',
      head,
      head + R.slice(0, 16),
      // 31- and 33-character random parts, each with a correct checksum for its own body.
      ...[31, 33].map((n) => head + 'A'.repeat(n) + R.slice(-6)),
    ]
    for (const candidate of cases) {
      expect(await codeOf(() => auth.authenticate(`Bearer ${candidate}`)), candidate).toBe(
        'INVALID_FORMAT',
      )
    }
    expect(spy.calls.findByHash).toBe(0)
  })

  it('FMT-08 non-base62 characters in the secret are INVALID_FORMAT with no lookup', async () => {
    const { auth, spy, issue } = setup()
    const { key } = await issue()
    const at = key.length - 10
    for (const c of ['-', '+', '/', '=', '.', '~', ' ', '_', 'é', '\u0000']) {
      const candidate = key.slice(0, at) + c + key.slice(at + 1)
      expect(await codeOf(() => auth.verifyKey(candidate)), JSON.stringify(c)).toBe(
        'INVALID_FORMAT',
      )
    }
    expect(await codeOf(() => auth.verifyKey(`${key}_`))).toBe('INVALID_FORMAT')
    expect(await codeOf(() => auth.authenticate(`Bearer ${key}_`))).toBe('INVALID_FORMAT')
    expect(spy.calls.findByHash).toBe(0)
  })

  it('FMT-10 flipping any one character of the secret is INVALID_FORMAT with zero lookups', async () => {
    const { auth, spy, issue } = setup()
    const { key } = await issue()
    const start = key.length - SECRET_LENGTH
    for (let i = start; i < key.length; i++) {
      const c = key[i] === 'A' ? 'B' : 'A'
      const candidate = key.slice(0, i) + c + key.slice(i + 1)
      expect(await codeOf(() => auth.verifyKey(candidate)), `position ${i}`).toBe('INVALID_FORMAT')
    }
    expect(spy.calls.findByHash).toBe(0)
    // The untouched key still works: the rejections above were not a broken instance.
    await expect(auth.verifyKey(key)).resolves.toMatchObject({ userId: 'u123' })
  })
})
