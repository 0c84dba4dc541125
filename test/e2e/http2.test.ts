/**
 * ADP-05: over HTTP/2 (cleartext, Node's compat layer) Fastify and Koa answer every golden case
 * exactly as Express does over HTTP/1.1. Express has no HTTP/2 support, so it is the reference.
 */
import { connect, type ClientHttp2Session } from 'node:http2'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type Framework, type RunningApp, startApp } from './apps.js'
import { CASES, type Req } from './cases.js'
import { expectNoLeak } from '../support/leak.js'
import { createFixture, type Fixture } from './fixture.js'
import { json, type Res, send } from './http.js'

function sendH2(session: ClientHttp2Session, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ':method': req.method ?? 'GET', ':path': req.path }
    for (const [name, value] of req.headers ?? []) headers[name.toLowerCase()] = value
    const stream = session.request(headers)
    const out: Res = { status: 0, headers: {}, text: '' }
    stream.setEncoding('utf8')
    stream.on('response', (h) => {
      out.status = Number(h[':status'])
      for (const [name, value] of Object.entries(h)) {
        if (!name.startsWith(':')) out.headers[name] = String(value)
      }
    })
    stream.on('data', (chunk: string) => (out.text += chunk))
    stream.on('end', () => resolve(out))
    stream.on('error', reject)
    stream.end(req.body)
  })
}

describe('ADP-05 HTTP/2', () => {
  let f: Fixture
  let reference: RunningApp
  const servers = new Map<Framework, { app: RunningApp; session: ClientHttp2Session }>()
  beforeAll(async () => {
    f = await createFixture()
    reference = await startApp('express', f)
    for (const fw of ['fastify', 'koa'] as const) {
      const app = await startApp(fw, f, { http2: true })
      servers.set(fw, { app, session: connect(app.url) })
    }
  })
  afterAll(async () => {
    for (const { app, session } of servers.values()) {
      session.close()
      await app.close()
    }
    await reference.close()
  })

  test('every golden case: same status, challenge and body as HTTP/1.1', async () => {
    // Raw cases send what HTTP/2 cannot carry (duplicate or whitespace-padded fields).
    const cases = CASES.filter((c) => c.req(f).raw !== true)
    expect(cases.length).toBeGreaterThan(80)
    for (const c of cases) {
      const req = c.req(f)
      const expected = await send(reference.url, req)
      for (const [fw, { session }] of servers) {
        const got = await sendH2(session, req)
        const pick = (r: Res): unknown => ({
          status: r.status,
          challenge: r.headers['www-authenticate'],
          cacheControl: r.headers['cache-control'],
          body: req.method === 'HEAD' ? '' : r.text,
        })
        expect({ fw, id: `${c.id} ${c.name}`, ...(pick(got) as object) }).toEqual({
          fw,
          id: `${c.id} ${c.name}`,
          ...(pick(expected) as object),
        })
      }
    }
  })
})

describe('issue 9 (finding 10): CSRF same-origin check over real HTTP/2', () => {
  let f: Fixture
  const apps: [Framework, RunningApp, ClientHttp2Session][] = []
  beforeAll(async () => {
    f = await createFixture()
    for (const fw of ['fastify', 'koa', 'koa2'] as const) {
      const app = await startApp(fw, f, { http2: true })
      apps.push([fw, app, connect(app.url)])
    }
  })
  afterAll(async () => {
    for (const [, app, session] of apps) {
      session.close()
      await app.close()
    }
  })

  const post = async (session: ClientHttp2Session, origin: string, user: string): Promise<Res> =>
    sendH2(session, {
      method: 'POST',
      path: '/api/v1/api-keys',
      headers: [
        ['Origin', origin],
        ['Cookie', await f.cookie(user)],
        ['Content-Type', 'application/json'],
      ],
      body: JSON.stringify({ name: 'h2 key' }),
    })

  test('a same-origin cookie POST is 201; a foreign Origin is still 403 CSRF_REJECTED', async () => {
    const outcomes: unknown[] = []
    for (const [fw, app, session] of apps) {
      const user = `h2_${fw}`
      const same = await post(session, app.url, user)
      outcomes.push([fw, 'same origin', same.status])
      if (same.status === 201) f.secrets.push(json<{ key: string }>(same).key)
      for (const foreign of [
        'https://evil.example',
        app.url.replace('127.0.0.1', 'localhost'),
        app.url.replace('http:', 'https:'),
      ]) {
        const res = await post(session, foreign, user)
        outcomes.push([fw, foreign, res.status, json<{ error: { code: string } }>(res).error.code])
        expectNoLeak({ headers: res.headers, text: res.text }, f.secrets)
      }
    }
    expect(outcomes).toEqual(
      apps.flatMap(([fw, app]) => [
        [fw, 'same origin', 201],
        [fw, 'https://evil.example', 403, 'CSRF_REJECTED'],
        [fw, app.url.replace('127.0.0.1', 'localhost'), 403, 'CSRF_REJECTED'],
        [fw, app.url.replace('http:', 'https:'), 403, 'CSRF_REJECTED'],
      ]),
    )
    for (const [fw] of apps) expect(await f.spy.memory.listByUser(`h2_${fw}`)).toHaveLength(1)
  })
})
