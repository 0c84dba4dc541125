/** The demo service, started as a separate process, driven through the seed page's curl flow. */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { expectNoLeak } from '../support/leak.js'

interface Curl {
  /** The `# …` line above it. */
  comment: string
  method: string
  url: string
  headers: [string, string][]
  body?: string
}

/** The curl commands the demo prints, each under its `# comment` line. */
function printedCurls(output: string): Curl[] {
  const commands: Curl[] = []
  for (const block of output.split(/\n\s*\n/)) {
    const comment = /^# (.*)$/m.exec(block)?.[1]
    const command = /^curl [\s\S]*/m.exec(block)?.[0].replace(/\\\n\s*/g, ' ')
    if (comment === undefined || command === undefined) continue
    const body = /-d '([^']*)'/.exec(command)?.[1]
    commands.push({
      comment,
      method: /-X (\w+)/.exec(command)?.[1] ?? 'GET',
      url: /(https?:\/\/\S+)/.exec(command)?.[1] ?? '',
      headers: [...command.matchAll(/-H "([^:"]+): ([^"]*)"/g)].map(
        (m) => [m[1] ?? '', m[2] ?? ''] as [string, string],
      ),
      ...(body === undefined ? {} : { body }),
    })
  }
  return commands
}

describe('demo service (examples/vydra-api)', () => {
  let child: ChildProcess
  let base: string
  let cookie: string
  let output = ''
  const dir = mkdtempSync(join(tmpdir(), 'vydra-demo-'))

  beforeAll(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'examples/vydra-api/server.ts'], {
      env: { ...process.env, PORT: '0', VYDRA_DEMO_DB: join(dir, 'demo.sqlite') },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`demo exited with ${code}: ${output}`)))
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString()
        const url = /listening on (http:\/\/\S+)/.exec(output)?.[1]
        const session = /^(__session=\S+)$/m.exec(output)?.[1]
        if (url !== undefined && session !== undefined && output.includes('curl -X DELETE')) {
          base = url
          cookie = session
          resolve()
        }
      })
    })
  })

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  })

  test('prints the URL, a session cookie and the curl examples filled in', () => {
    expect(output).toContain(`curl -X POST ${base}/api/v1/api-keys`)
    expect(output).toContain(`-H "Cookie: ${cookie}"`)
    expect(output).toContain(`curl ${base}/api/v1/models`)
  })

  test('prints the key page URL; signing in there opens the page with a session', async () => {
    const printed = /^Key page in a browser: (http:\/\/\S+)/m.exec(output)?.[1]
    expect(printed).toBe(`${base}/demo/sign-in`)
    const signIn = await fetch(printed ?? '', { redirect: 'manual' })
    expect(signIn.status).toBe(303)
    expect(signIn.headers.get('location')).toBe('/api/v1/api-keys/ui')
    const setCookie = signIn.headers.get('set-cookie') ?? ''
    expect(setCookie).toMatch(/^__session=[^;]+;.*HttpOnly/i)
    const sessionCookie = setCookie.split(';')[0] ?? ''
    const page = await fetch(`${base}/api/v1/api-keys/ui`, { headers: { cookie: sessionCookie } })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<vydra-api-keys base-path="/api/v1/api-keys"')
    expect((await fetch(`${base}/api/v1/api-keys/ui`)).status).toBe(401)
    expect((await fetch(`${base}/api/v1/api-keys/openapi.json`)).status).toBe(200)
  })

  test('health, then create → use → list → revoke → 401 KEY_REVOKED', async () => {
    expect(await (await fetch(`${base}/api/v1/health`)).json()).toEqual({ status: 'ok' })
    const created = await fetch(`${base}/api/v1/api-keys`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: cookie },
      body: JSON.stringify({ name: 'My Production Key', expiresInDays: 90 }),
    })
    expect(created.status).toBe(201)
    const { id, key, keyPrefix, message } = (await created.json()) as {
      id: string
      key: string
      keyPrefix: string
      message: string
    }
    expect(key).toMatch(/^vydra_live_user_demo_/)
    expect(message).toBe('Store this key securely. It will not be shown again.')
    const auth = { Authorization: `Bearer ${key}` }

    const models = await fetch(`${base}/api/v1/models`, { headers: auth })
    expect(models.status).toBe(200)
    expect(((await models.json()) as { models: unknown[] }).models.length).toBeGreaterThan(0)
    const generated = await fetch(`${base}/api/v1/models/generate`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'vydra-image-1', prompt: 'a heron' }),
    })
    expect(generated.status).toBe(202)
    const jobs = (await (await fetch(`${base}/api/v1/jobs`, { headers: auth })).json()) as {
      jobs: unknown[]
    }
    expect(jobs.jobs).toHaveLength(1)
    expect(await (await fetch(`${base}/api/v1/account`, { headers: auth })).json()).toMatchObject({
      userId: 'demo',
    })

    const listed = await fetch(`${base}/api/v1/api-keys`, { headers: auth })
    const listText = await listed.text()
    expect(listed.status).toBe(200)
    expect(JSON.parse(listText)).toMatchObject({ keys: [{ id, keyPrefix, revokedAt: null }] })
    expectNoLeak(listText, key)

    const revoked = await fetch(`${base}/api/v1/api-keys/${id}`, {
      method: 'DELETE',
      headers: auth,
    })
    expect(revoked.status).toBe(200)
    const after = await fetch(`${base}/api/v1/models`, { headers: auth })
    expect(after.status).toBe(401)
    expect(await after.json()).toMatchObject({ error: { code: 'KEY_REVOKED' } })
    expectNoLeak(output, key)
  })

  test('scopes are enforced and errors are the documented ones', async () => {
    const created = await fetch(`${base}/api/v1/api-keys`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: cookie },
      body: JSON.stringify({ name: 'read only', scopes: ['models:read'] }),
    })
    const { key } = (await created.json()) as { key: string }
    const write = await fetch(`${base}/api/v1/models/generate`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: '{}',
    })
    expect(write.status).toBe(403)
    expect(write.headers.get('www-authenticate')).toContain('scope="models:write"')
    const missing = await fetch(`${base}/api/v1/models`)
    expect([
      missing.status,
      ((await missing.json()) as { error: { code: string } }).error.code,
    ]).toEqual([401, 'MISSING_AUTH'])
  })

  test('the printed curl commands work as printed; list and revoke use the session, not a key', async () => {
    const commands = printedCurls(output)
    const find = (comment: RegExp): Curl => {
      const found = commands.find((c) => comment.test(c.comment))
      if (found === undefined) throw new Error(`no printed command for ${comment}:\n${output}`)
      return found
    }
    const [create, use, list, revoke] = [/^Create/, /^Use/, /^List/, /^Revoke/].map(find)
    if (create === undefined || use === undefined || list === undefined || revoke === undefined) {
      throw new Error('unreachable')
    }
    // Keys created with narrower scopes than `*` must be listable and revocable too: those two
    // commands authenticate with the session cookie, and name no API key.
    for (const command of [list, revoke]) {
      expect(command.headers).toContainEqual(['Cookie', cookie])
      expect(command.headers.map(([name]) => name.toLowerCase())).not.toContain('authorization')
    }
    const send = (curl: Curl, fill: Record<string, string> = {}): Promise<Response> => {
      const sub = (text: string): string =>
        Object.entries(fill).reduce((t, [from, to]) => t.replaceAll(from, to), text)
      return fetch(sub(curl.url), {
        method: curl.method,
        headers: curl.headers.map(([name, value]) => [name, sub(value)] as [string, string]),
        ...(curl.body === undefined ? {} : { body: curl.body }),
      })
    }
    const created = await send(create)
    expect(created.status).toBe(201)
    const { id, key } = (await created.json()) as { id: string; key: string }
    expect((await send(use, { YOUR_API_KEY: key })).status).toBe(200)
    const listed = await send(list)
    expect(listed.status).toBe(200)
    expect(((await listed.json()) as { keys: { id: string }[] }).keys.map((k) => k.id)).toContain(
      id,
    )
    expect((await send(revoke, { KEY_ID: id })).status).toBe(200)
    const after = await send(use, { YOUR_API_KEY: key })
    expect([
      after.status,
      ((await after.json()) as { error: { code: string } }).error.code,
    ]).toEqual([401, 'KEY_REVOKED'])
  })

  test('prints roll and disable commands that answer as documented', async () => {
    const commands = printedCurls(output)
    const roll = commands.find((c) => /^Roll/.test(c.comment))
    const disable = commands.find((c) => /^Disable/.test(c.comment))
    const create = commands.find((c) => /^Create/.test(c.comment))
    if (roll === undefined || disable === undefined || create === undefined) {
      throw new Error(`roll/disable commands missing:\n${output}`)
    }
    expect([roll.method, roll.url]).toEqual(['POST', `${base}/api/v1/api-keys/KEY_ID/roll`])
    expect([disable.method, disable.url]).toEqual([
      'POST',
      `${base}/api/v1/api-keys/KEY_ID/disable`,
    ])
    for (const command of [roll, disable])
      expect(command.headers).toContainEqual(['Cookie', cookie])
    const created = await fetch(create.url, {
      method: 'POST',
      headers: create.headers,
      body: create.body ?? null,
    })
    const { id } = (await created.json()) as { id: string }
    const send = (curl: Curl): Promise<Response> =>
      fetch(curl.url.replace('KEY_ID', id), {
        method: curl.method,
        headers: curl.headers,
        ...(curl.body === undefined ? {} : { body: curl.body }),
      })
    const rolled = await send(roll)
    expect(rolled.status).toBe(201)
    const next = (await rolled.json()) as { key: string; previous: { id: string } }
    expect(next.previous.id).toBe(id)
    const disabled = await send(disable)
    expect([disabled.status, ((await disabled.json()) as { status: string }).status]).toEqual([
      200,
      'disabled',
    ])
  })
})
