/**
 * createSecretScanningHandler without a framework: signatures against a key set served on
 * loopback, malformed bodies, labels, idempotency, actions and fail-closed behaviour.
 */
import { createHash } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  createSecretScanningHandler,
  type AuthRequest,
  type LeakEvent,
} from '../../src/http/index.js'
import { generateApiKey, isAuthError } from '../../src/index.js'
import {
  createSigner,
  report,
  signedHeaders,
  startKeySet,
  type KeySetServer,
  type Signer,
} from '../support/secret-scanning.js'
import { codeOf, setup } from '../support/setup.js'

const PATH = '/api/v1/secret-scanning/github'
let github: Signer
let keySet: KeySetServer

beforeAll(async () => {
  github = createSigner()
  keySet = await startKeySet([github])
})
afterAll(() => keySet.close())
afterEach(() => {
  keySet.signers = [github]
  keySet.failWith = undefined
})

function request(
  body: string | Uint8Array,
  headers: Record<string, string>,
  method = 'POST',
): AuthRequest {
  return {
    method,
    path: PATH,
    headers,
    rawHeaders: Object.entries(headers).flat(),
    readBody: async (limit) => {
      const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body
      return bytes.length > limit ? null : bytes
    },
  }
}

function build(options: Parameters<typeof createSecretScanningHandler>[1] = {}) {
  const h = setup()
  const leaks: LeakEvent[] = []
  const handle = createSecretScanningHandler(h.auth, {
    keySetUrl: keySet.url,
    onLeak: (leak) => void leaks.push(leak),
    ...options,
  })
  const post = async (body: string | Uint8Array, headers = signedHeaders(github, body)) =>
    (await handle(request(body, headers)))!
  return { ...h, handle, leaks, post }
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')

describe('secret scanning: signatures', () => {
  it('a valid report revokes the key, labels it true_positive and tells onLeak, never the key', async () => {
    const t = build()
    const { key, id } = await t.issue()
    await t.auth.verifyKey(key)
    const response = await t.post(report([key]))
    expect(response.status).toBe(200)
    expect(response.body).toEqual([
      { token_hash: sha256(key), token_type: 'vydra_api_key', label: 'true_positive' },
    ])
    expect(await codeOf(() => t.auth.verifyKey(key))).toBe('KEY_REVOKED')
    await Promise.resolve()
    expect(t.leaks).toEqual([
      {
        keyId: id,
        userId: 'u123',
        keyPrefix: expect.stringMatching(/^vydra_live_user_u123_.{4}\.\.\.$/),
        url: 'https://github.com/octocat/hello/blob/main/config.env',
        source: 'content',
        tokenType: 'vydra_api_key',
        action: 'revoke',
      },
    ])
    expect(JSON.stringify(t.leaks)).not.toContain(key.slice(-38, -30))
    const [record] = await t.spy.memory.listByUser('u123')
    expect(record?.revokedReason).toBe('leaked')
  })

  it.each([
    ['no signature headers', (_b: string) => ({ 'content-type': 'application/json' })],
    [
      'an unknown key id',
      (b: string) => ({
        ...signedHeaders(github, b),
        'github-public-key-identifier': 'f'.repeat(64),
      }),
    ],
    ['a signature of another body', (b: string) => signedHeaders(github, `${b} `)],
    ['a raw r||s signature instead of DER', (b: string) => signedHeaders(github, b, 'ieee-p1363')],
    [
      'a signature that is not base64',
      (b: string) => ({
        ...signedHeaders(github, b),
        'github-public-key-signature': '!!!not base64!!!',
      }),
    ],
    ['a key not in the set', (b: string) => signedHeaders(createSigner(), b)],
  ])('401 SIGNATURE_INVALID and nothing revoked for %s', async (_name, headersFor) => {
    const t = build()
    const { key } = await t.issue()
    const body = report([key])
    const response = await t.post(body, headersFor(body) as Record<string, string>)
    expect(response.status).toBe(401)
    expect((response.body as { error: { code: string } }).error.code).toBe('SIGNATURE_INVALID')
    expect(response.headers['www-authenticate']).toBeUndefined()
    expect(await codeOf(() => t.auth.verifyKey(key))).toBe('resolved')
    expect(t.leaks).toEqual([])
  })

  it('a tampered body is refused: the signature covers the raw bytes', async () => {
    const t = build()
    const { key } = await t.issue()
    const other = await t.issue({ userId: 'victim' })
    const signed = report([key])
    const tampered = report([other.key])
    const response = await t.post(tampered, signedHeaders(github, signed))
    expect(response.status).toBe(401)
    expect(await codeOf(() => t.auth.verifyKey(other.key))).toBe('resolved')
  })

  it('duplicate signature header lines are refused', async () => {
    const t = build()
    const body = report([generateApiKey('u1')])
    const headers = signedHeaders(github, body)
    const req = request(body, headers)
    req.rawHeaders = [
      ...(req.rawHeaders ?? []),
      'Github-Public-Key-Signature',
      headers['github-public-key-signature']!,
    ]
    expect((await t.handle(req))?.status).toBe(401)
  })

  it('a key of another curve in the key set verifies nothing (wrong curve)', async () => {
    const p384 = createSigner('P-384')
    keySet.signers = [github, p384]
    const t = build()
    const { key } = await t.issue()
    const body = report([key])
    expect((await t.post(body, signedHeaders(p384, body))).status).toBe(401)
    expect(await codeOf(() => t.auth.verifyKey(key))).toBe('resolved')
  })

  it('an unknown key id fetches the set again (GitHub rotated), at most once per interval', async () => {
    const t = build({ keySetMinRefetchMs: 0 })
    const { key } = await t.issue()
    expect((await t.post(report([generateApiKey('zz')]))).status).toBe(200)
    const rotated = createSigner()
    keySet.signers = [rotated, github]
    const before = keySet.fetches
    const body = report([key])
    expect((await t.post(body, signedHeaders(rotated, body))).status).toBe(200)
    expect(keySet.fetches).toBe(before + 1)

    const slow = build({ keySetMinRefetchMs: 60_000 })
    expect((await slow.post(report([generateApiKey('zz')]))).status).toBe(200)
    const fetched = keySet.fetches
    for (let i = 0; i < 5; i++) {
      const forged = report([generateApiKey('zz')])
      await slow.post(forged, signedHeaders(createSigner(), forged))
    }
    expect(keySet.fetches).toBe(fetched)
  })

  it('fails closed with 503 when the key set cannot be fetched, and revokes nothing', async () => {
    keySet.failWith = 500
    const t = build()
    const { key } = await t.issue()
    const response = await t.post(report([key]))
    expect(response.status).toBe(503)
    expect(await codeOf(() => t.auth.verifyKey(key))).toBe('resolved')
    const unreachable = build({ keySetUrl: 'http://127.0.0.1:1/keys', keySetTimeoutMs: 500 })
    expect((await unreachable.post(report([key]))).status).toBe(503)
    expect(t.logs.lines.some((l) => l.message === 'secret scanning key set unavailable')).toBe(true)
  })
})

describe('secret scanning: reports', () => {
  it('replays and retries are idempotent: same answer, one revocation, one onLeak', async () => {
    const t = build()
    const { key } = await t.issue()
    const body = report([key])
    const headers = signedHeaders(github, body)
    const first = await t.post(body, headers)
    const again = await t.post(body, headers)
    expect(again).toEqual(first)
    await Promise.resolve()
    expect(t.leaks).toHaveLength(1)
    expect(t.spy.calls.revoke).toBe(1)
  })

  it('tokens of other formats, bad checksums and unknown keys are false_positive without a lookup', async () => {
    const t = build()
    const { key } = await t.issue()
    const badChecksum = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A')
    const tokens = [
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      badChecksum,
      generateApiKey('u1', { environment: 'test' }),
    ]
    const finds = t.spy.calls.findByHash
    const response = await t.post(report(tokens))
    expect((response.body as { label: string }[]).map((l) => l.label)).toEqual([
      'false_positive',
      'false_positive',
      'false_positive',
    ])
    expect(t.spy.calls.findByHash).toBe(finds)
    const unknown = await t.post(report([generateApiKey('nobody'), key]))
    expect((unknown.body as { label: string }[]).map((l) => l.label)).toEqual([
      'false_positive',
      'true_positive',
    ])
  })

  it.each([
    ['not JSON', '[{"token":', 'INVALID_JSON', 400],
    ['not an array', '{"token":"x","type":"t"}', 'VALIDATION_ERROR', 400],
    ['an entry that is not an object', '["x"]', 'VALIDATION_ERROR', 400],
    ['a token that is not a string', '[{"token":1,"type":"t"}]', 'VALIDATION_ERROR', 400],
    ['not UTF-8', new Uint8Array([0x5b, 0xff, 0x5d]), 'INVALID_JSON', 400],
  ] as const)('a signed body that is %s: %s, nothing revoked', async (_n, body, code, status) => {
    const t = build()
    const response = await t.post(body)
    expect([response.status, (response.body as { error: { code: string } }).error.code]).toEqual([
      status,
      code,
    ])
  })

  it('10,000 entries: 413 before any lookup (bounded work)', async () => {
    const t = build()
    const small = JSON.stringify(Array.from({ length: 10_000 }, () => ({ token: 'x', type: 't' })))
    const response = await t.post(small)
    expect(response.status).toBe(413)
    const big = report(Array.from({ length: 10_000 }, () => generateApiKey('u1')))
    expect((await t.post(big)).status).toBe(413)
    expect(t.spy.calls.findByHash).toBe(0)
  })

  it('content type, method and path are checked as on the key routes', async () => {
    const t = build()
    const body = report([generateApiKey('u1')])
    const text = await t.post(body, {
      ...signedHeaders(github, body),
      'content-type': 'text/plain',
    })
    expect(text.status).toBe(415)
    expect((await t.handle(request(body, signedHeaders(github, body), 'GET')))?.status).toBe(405)
    expect(
      await t.handle({ ...request(body, signedHeaders(github, body)), path: '/other' }),
    ).toBeNull()
  })

  it('503 when the store fails mid-report (GitHub retries; nothing is half-answered)', async () => {
    const t = build()
    const { key } = await t.issue()
    t.spy.behave.findByHash = { kind: 'reject' }
    expect((await t.post(report([key]))).status).toBe(503)
  })

  it("action 'notify' revokes nothing and tells onLeak once per key", async () => {
    const t = build({ action: 'notify' })
    const { key } = await t.issue()
    const body = report([key])
    expect((await t.post(body)).body).toEqual([
      { token_hash: sha256(key), token_type: 'vydra_api_key', label: 'true_positive' },
    ])
    await t.post(body)
    await Promise.resolve()
    expect(t.leaks.map((l) => l.action)).toEqual(['notify'])
    expect(await codeOf(() => t.auth.verifyKey(key))).toBe('resolved')
  })

  it("action 'disable' is a CONFIGURATION_ERROR at set-up when the store cannot disable keys", () => {
    const t = setup()
    let error: unknown
    try {
      createSecretScanningHandler(t.auth, { action: 'disable', keySetUrl: keySet.url })
    } catch (e) {
      error = e
    }
    expect(isAuthError(error) && error.code).toBe('CONFIGURATION_ERROR')
  })

  it("action 'disable' disables the key (fleet-wide, reversible) where the store can", async () => {
    const t = setup({ spy: { lifecycle: true } })
    const { key, id } = await t.issue()
    await t.auth.verifyKey(key)
    const disabled: unknown[] = []
    t.auth.on('key.disabled', (event) => void disabled.push(event))
    const handle = createSecretScanningHandler(t.auth, { action: 'disable', keySetUrl: keySet.url })
    const body = report([key])
    const response = await handle(request(body, signedHeaders(github, body)))
    expect(response?.status).toBe(200)
    expect((response?.body as { label: string }[])[0]?.label).toBe('true_positive')
    expect(await codeOf(() => t.auth.verifyKey(key))).toBe('KEY_DISABLED')
    await handle(request(body, signedHeaders(github, body)))
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(disabled).toEqual([
      expect.objectContaining({ keyId: id, actor: { type: 'system', id: 'github' } }),
    ])
  })

  it.each([
    [{ path: 'no-slash' }],
    [{ action: 'delete' }],
    [{ keySetUrl: 'not a url' }],
    [{ maxMatches: 0 }],
    [{ keySetTtlMs: 100_000_000 }],
    [{ onLeak: 'x' }],
  ])('bad options are a CONFIGURATION_ERROR at set-up: %j', (options) => {
    const t = setup()
    expect(() => createSecretScanningHandler(t.auth, options as never)).toThrowError(
      /Invalid secret scanning options/,
    )
  })

  it('an onLeak that throws is logged; the answer and the revocation stand', async () => {
    const t = build({
      onLeak: () => {
        throw new Error('mailer down')
      },
    })
    const { key } = await t.issue()
    expect((await t.post(report([key]))).status).toBe(200)
    await new Promise((r) => setTimeout(r, 10))
    expect(t.logs.lines.some((l) => l.message === 'onLeak failed')).toBe(true)
    expect(await codeOf(() => t.auth.verifyKey(key))).toBe('KEY_REVOKED')
  })
})
