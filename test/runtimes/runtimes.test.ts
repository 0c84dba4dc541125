/**
 * The e2e golden table (test/e2e/cases.ts) against the plain fetch service on Bun, Deno and
 * workerd: the same rows as on the seven Node builds, each checked over real HTTP for its status,
 * code, challenge, headers and body, that the handler ran (or not) with the right principal, and
 * that rows promising no store lookup made none. Rows whose web answer differs (joined header
 * lines) use that answer, as on the Node fetch and Hono builds.
 */
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { type Case, CASES, type Expect } from '../e2e/cases.js'
import type { Fixture } from '../e2e/fixture.js'
import { json, recordResponses, send } from '../e2e/http.js'
import { type Answer, conformanceFailures, KEYS_BASE } from '../e2e/openapi-conformance.js'
import { expectNoLeak } from '../support/leak.js'
import { registerKey } from '../support/secret-scan.js'
import { publicKeyCases } from './public-key-cases.js'
import { bundle, type Runtime, type RuntimeServer, startRuntime } from './runtimes.js'
import type { FixtureState } from './worker.js'

const RUNTIMES: Runtime[] = ['bun', 'deno', 'workerd']

/**
 * Where a runtime's HTTP server changes the request before the Worker sees it. workerd drops a
 * header line whose value is empty, so `Authorization: ` (nothing after it) arrives as no header:
 * an optional route runs anonymous, as for a request that sent no credential (none is accepted;
 * a required route still answers 401 MISSING_AUTH, HDR-03).
 */
const RUNTIME_EXPECT: Partial<Record<Runtime, Record<string, Expect>>> = {
  workerd: {
    'OPT-03 optional route, empty Authorization header: present, so refused': {
      status: 200,
      anonymous: true,
      noLookup: true,
    },
  },
}

async function state(url: string): Promise<FixtureState> {
  const res = await fetch(`${url}/__fixture`)
  return (await res.json()) as FixtureState
}

// The state after the previous case is the state before the next: cases run one at a time.
let last: FixtureState | undefined

async function checkRemote(url: string, c: Case, runtime: Runtime): Promise<void> {
  const before = last ?? (await state(url))
  const f = { keys: before.keys, keyIds: before.keyIds } as Fixture
  const req = c.req(f)
  const res = await send(url, req)
  const expected = RUNTIME_EXPECT[runtime]?.[`${c.id} ${c.name}`] ?? c.web ?? c.expect
  const e = typeof expected === 'function' ? expected(f) : expected
  const after = await state(url)
  last = after
  expect(res.status).toBe(e.status)
  if (e.noLookup === true) expect(after.lookups, 'store was asked').toBe(before.lookups)
  if (e.status >= 400) {
    expect(after.hits.length, 'protected handler ran').toBe(before.hits.length)
    expect(after.anonymousHits.length, 'handler ran anonymous').toBe(before.anonymousHits.length)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    if (e.challenge !== undefined) expect(res.headers['www-authenticate'] ?? null).toBe(e.challenge)
    if (req.method === 'HEAD') expect(res.text).toBe('')
    else if (e.code !== undefined) {
      expect(json<{ error: { code: string } }>(res).error.code).toBe(e.code)
    }
    if (e.status === 503) expect(res.headers['retry-after']).toMatch(/^\d+$/)
  }
  if (e.status === 200 && e.userId !== undefined) {
    expect(after.hits.slice(before.hits.length)).toEqual([{ userId: e.userId, keyId: e.keyId }])
    expect(json<{ userId: string; keyId: string }>(res)).toMatchObject({
      userId: e.userId,
      keyId: e.keyId,
    })
  }
  if (e.status === 200 && e.anonymous === true) {
    const path = new URL(req.path, 'http://x').pathname
    expect(after.anonymousHits.slice(before.anonymousHits.length)).toEqual([path])
    expect(json(res)).toEqual({ route: path })
  }
  expectNoLeak({ headers: res.headers, text: res.text }, Object.values(before.keys))
}

for (const runtime of RUNTIMES) {
  describe(`e2e table on ${runtime} (@vydra/auth/fetch)`, () => {
    let server: RuntimeServer | undefined
    let url = ''
    // Every answer of the key routes on this runtime, checked against the OpenAPI document last.
    const answers: Answer[] = []
    beforeAll(async () => {
      recordResponses((req, res) => {
        if (req.path.startsWith(KEYS_BASE)) answers.push({ req, res })
      })
      server = await startRuntime(
        runtime,
        await bundle(runtime, inject('runtimePackage').consumerDir),
      )
      url = server.url
      last = undefined
      for (const key of Object.values((await state(url)).keys)) registerKey(key)
    }, 120_000)
    afterAll(async () => {
      await server?.close()
    })

    test('the service runs there; workerd has no node:crypto, so keys are hashed by the JS SHA-256', async () => {
      const { nodeCrypto } = await state(url)
      expect(nodeCrypto).toBe(runtime !== 'workerd')
    })

    for (const c of CASES) {
      test(`${c.id} ${c.name}`, async () => {
        await checkRemote(url, c, runtime)
      })
    }

    // Public-key sessions and secret scanning: WebCrypto where node:crypto is missing (workerd).
    publicKeyCases(() => url)

    // Last: the answers of every test above.
    test(`DOC-OPENAPI every answer of the key routes on ${runtime} matches the document`, () => {
      expect(answers.length).toBeGreaterThan(10)
      expect(conformanceFailures(answers)).toEqual([])
    })
  })
}
