/**
 * The OpenAPI conformance check that the shared e2e harness runs on every framework build
 * (`describeE2e` → `test/e2e/openapi-conformance.ts`): here, that it reports each kind of
 * mismatch, so a passing build means something.
 */
import { describe, expect, test } from 'vitest'
import type { z } from 'zod'
import type { apiKeyJsonSchema } from '../../src/http/key-route-schemas.js'
import type { ApiKeyJson } from '../../src/index.js'
import { conformanceFailures, createConformanceChecker, KEYS_BASE } from './openapi-conformance.js'
import type { Res } from './http.js'

const checker = createConformanceChecker()
const JSON_TYPE = 'application/json; charset=utf-8'
const KEY = {
  id: '3f6c1c9e-2b7a-4d55-9a51-2f0f1d5b8c41',
  userId: 'u1',
  name: 'CI',
  keyPrefix: 'vydra_live_u1_X7kM...',
  scopes: ['models:read'],
  createdAt: '2026-11-30T09:00:00.000Z',
  expiresAt: null,
  lastUsedAt: null,
  revokedAt: null,
  status: 'active',
  ownerType: 'user',
  createdBy: null,
  metadata: {},
  disabledAt: null,
  revokedReason: null,
  replacedBy: null,
  rolledFrom: null,
  graceEndsAt: null,
}
const res = (status: number, body: unknown, headers: Record<string, string> = {}): Res => ({
  status,
  headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-store', ...headers },
  text: JSON.stringify(body),
})
const error = (code: string) => ({ error: { code, message: 'x' } })
const get = { path: `${KEYS_BASE}?limit=1` }
const patch = { method: 'PATCH', path: `${KEYS_BASE}/${KEY.id}` }

describe('the OpenAPI conformance check', () => {
  test('matches each request to its documented path, fixed segments included', () => {
    expect(checker.documentedPath(`${KEYS_BASE}?status=all`)).toBe(KEYS_BASE)
    expect(checker.documentedPath(`${KEYS_BASE}/abc`)).toBe(`${KEYS_BASE}/{id}`)
    expect(checker.documentedPath(`${KEYS_BASE}/abc/roll`)).toBe(`${KEYS_BASE}/{id}/roll`)
    expect(checker.documentedPath(`${KEYS_BASE}/abc/enable`)).toBe(`${KEYS_BASE}/{id}/enable`)
    expect(checker.documentedPath('/api/v1/models')).toBeNull()
  })

  test('accepts documented answers', () => {
    expect(checker.problems(get, res(200, { keys: [KEY], nextCursor: null }))).toEqual([])
    expect(checker.problems(patch, res(404, error('KEY_NOT_FOUND')))).toEqual([])
    expect(
      checker.problems(
        { method: 'PUT', path: patch.path },
        res(405, error('METHOD_NOT_ALLOWED'), { allow: 'DELETE, PATCH' }),
      ),
    ).toEqual([])
  })

  test('reports a route under the key routes that the document does not describe, not a 404 or the page', () => {
    const events = { path: `${KEYS_BASE}/${KEY.id}/history` } // no such operation
    expect(conformanceFailures([{ req: events, res: res(200, { events: [] }) }])).toEqual([
      `GET ${events.path} → 200: path not documented`,
    ])
    expect(conformanceFailures([{ req: events, res: res(404, error('KEY_NOT_FOUND')) }])).toEqual(
      [],
    )
    const page = { req: { path: `${KEYS_BASE}/ui` }, res: res(200, {}) }
    expect(conformanceFailures([page])).toEqual([])
    expect(conformanceFailures([{ req: get, res: res(418, error('X')) }])).toEqual([
      `GET ${get.path} → 418: status 418 is not documented`,
    ])
  })

  test('reports an undocumented status, a wrong body, a code outside the enum, a missing header', () => {
    expect(checker.problems(get, res(418, error('X')))).toEqual(['status 418 is not documented'])
    const missingField = { ...KEY } as Record<string, unknown>
    delete missingField.status
    expect(checker.problems(get, res(200, { keys: [missingField], nextCursor: null }))[0]).toMatch(
      /^body: .*status/,
    )
    expect(checker.problems(get, res(200, { keys: [] }))[0]).toMatch(/^body: .*nextCursor/)
    // KEY_STATE_CONFLICT is a 409 code, not a 401 one.
    expect(checker.problems(patch, res(401, error('KEY_STATE_CONFLICT')))[0]).toMatch(/^body: /)
    const noCache = res(200, KEY)
    delete noCache.headers['cache-control']
    expect(checker.problems(patch, noCache).join()).toMatch(/Cache-Control/)
    expect(
      checker.problems(patch, {
        ...res(200, KEY),
        headers: { 'content-type': 'text/html', 'cache-control': 'no-store' },
      }),
    ).toEqual(['content type text/html is not documented'])
  })
})

// The public `ApiKeyJson` (what `apiKeyToJson` returns, the CLI's --json) has exactly the fields
// of the document's `ApiKey` schema: checked by tsc.
type SameKeys<A, B> = [keyof A] extends [keyof B]
  ? [keyof B] extends [keyof A]
    ? true
    : false
  : false
const sameFields: SameKeys<ApiKeyJson, z.infer<typeof apiKeyJsonSchema>> = true
test('the JSON view and the schema have the same fields', () => {
  expect(sameFields).toBe(true)
})
