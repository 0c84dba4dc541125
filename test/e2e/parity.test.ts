/**
 * ADP-01: every framework gives byte-identical JSON bodies, the same status and the same auth
 * headers for every golden case and for a key-management transcript.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type Framework, type RunningApp, startApp, WEB_FRAMEWORKS } from './apps.js'
import { CASES, type Req } from './cases.js'
import { createFixture, type Fixture } from './fixture.js'
import { type Res, send } from './http.js'

const FRAMEWORKS: Framework[] = ['express', 'express4', 'fastify', 'koa', 'koa2', 'hono', 'fetch']
const COMPARED = [
  'www-authenticate',
  'cache-control',
  'pragma',
  'content-type',
  'retry-after',
  'allow',
]

interface Row {
  status: number
  headers: Record<string, string | undefined>
  body: string
}

const row = (res: Res): Row => ({
  status: res.status,
  headers: {
    ...Object.fromEntries(COMPARED.map((h) => [h, res.headers[h]])),
    'ratelimit-policy': res.headers['ratelimit-policy'],
    // What is left differs by one per framework asked before (one key, one window); the rest of
    // the field must be the same bytes (test/e2e/limit-headers.test.ts compares them whole).
    ratelimit: res.headers.ratelimit?.replace(/;r=\d+/g, ';r=<n>'),
  },
  body: res.text,
})

describe('ADP-01 adapter parity', () => {
  let f: Fixture
  const apps = new Map<Framework, RunningApp>()
  beforeAll(async () => {
    f = await createFixture()
    for (const fw of FRAMEWORKS) apps.set(fw, await startApp(fw, f))
  })
  afterAll(async () => {
    for (const app of apps.values()) await app.close()
  })

  const across = async (
    req: (fw: Framework) => Req | Promise<Req>,
  ): Promise<Map<Framework, Row>> => {
    const rows = new Map<Framework, Row>()
    for (const fw of FRAMEWORKS) {
      rows.set(fw, row(await send((apps.get(fw) as RunningApp).url, await req(fw))))
    }
    return rows
  }
  const expectSame = (rows: Map<Framework, Row>, label: string, webApart = false): void => {
    const reference = rows.get('express')
    for (const fw of FRAMEWORKS) {
      // A row whose web answer is its own (joined header lines): the web adapters agree together.
      const ref = webApart && WEB_FRAMEWORKS.includes(fw) ? rows.get('fetch') : reference
      expect({ fw, label, ...rows.get(fw) }).toEqual({ fw, label, ...ref })
    }
  }

  test('every golden case: identical status, auth headers and body bytes', async () => {
    for (const c of CASES) {
      expectSame(await across(() => c.req(f)), `${c.id} ${c.name}`, c.web !== undefined)
    }
  })

  test('key-management transcript: identical once ids, keys, dates and users are masked', async () => {
    const transcripts = new Map<Framework, string[]>()
    for (const fw of FRAMEWORKS) {
      const url = (apps.get(fw) as RunningApp).url
      const user = `parity_${fw}`
      const cookie = await f.cookie(user)
      const other = await f.cookie(`${user}_other`)
      const json: [string, string] = ['Content-Type', 'application/json']
      const lines: string[] = []
      const record = (res: Res): Res => {
        lines.push(JSON.stringify(row(res)))
        return res
      }
      const created = record(
        await send(url, {
          method: 'POST',
          path: '/api/v1/api-keys',
          headers: [['Cookie', cookie], json],
          body: JSON.stringify({ name: 'Parity', scopes: ['models:read'], expiresInDays: 7 }),
        }),
      )
      const { id, key } = JSON.parse(created.text) as { id: string; key: string }
      f.secrets.push(key)
      const foreign = JSON.parse(
        (
          await send(url, {
            method: 'POST',
            path: '/api/v1/api-keys',
            headers: [['Cookie', other], json],
            body: JSON.stringify({ name: 'Other' }),
          })
        ).text,
      ) as { id: string; key: string }
      f.secrets.push(foreign.key)
      const steps: Req[] = [
        { path: '/api/v1/models', headers: [['Authorization', `Bearer ${key}`]] },
        { path: '/api/v1/api-keys', headers: [['Cookie', cookie]] },
        {
          method: 'POST',
          path: '/api/v1/api-keys',
          headers: [['Cookie', cookie], json],
          body: '{"name":',
        },
        {
          method: 'POST',
          path: '/api/v1/api-keys',
          headers: [
            ['Cookie', cookie],
            ['Content-Type', 'text/plain'],
          ],
          body: 'x',
        },
        {
          method: 'POST',
          path: '/api/v1/api-keys',
          headers: [['Cookie', cookie], json],
          body: JSON.stringify({ name: 'y'.repeat(20_000) }),
        },
        {
          method: 'POST',
          path: '/api/v1/api-keys',
          headers: [['Cookie', cookie], json],
          body: JSON.stringify({ name: '', scopes: ['nope'] }),
        },
        {
          method: 'POST',
          path: '/api/v1/api-keys',
          headers: [['Cookie', cookie], json, ['Origin', 'https://evil.example']],
          body: '{"name":"x"}',
        },
        {
          method: 'POST',
          path: '/api/v1/api-keys',
          headers: [['Authorization', `Bearer ${f.keys.star}`], json],
          body: '{"name":"x"}',
        },
        { method: 'PATCH', path: `/api/v1/api-keys/${id}`, headers: [['Cookie', cookie]] },
        { method: 'DELETE', path: `/api/v1/api-keys/${foreign.id}`, headers: [['Cookie', cookie]] },
        { method: 'DELETE', path: `/api/v1/api-keys/${id}`, headers: [['Cookie', cookie]] },
        { method: 'DELETE', path: `/api/v1/api-keys/${id}`, headers: [['Cookie', cookie]] },
        { path: '/api/v1/models', headers: [['Authorization', `Bearer ${key}`]] },
        { path: '/api/v1/api-keys', headers: [['Cookie', cookie]] },
      ]
      for (const step of steps) record(await send(url, step))
      const mask = (text: string): string =>
        text
          .replaceAll(key, '<key>')
          .replaceAll(user, '<user>')
          .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
          .replace(/vydra_live_user_<user>_[A-Za-z0-9]{1,8}\.\.\./g, '<prefix>')
      transcripts.set(fw, lines.map(mask))
    }
    const reference = transcripts.get('express') ?? []
    expect(reference.length).toBe(15)
    for (const fw of FRAMEWORKS)
      expect({ fw, lines: transcripts.get(fw) }).toEqual({ fw, lines: reference })
  })
})
