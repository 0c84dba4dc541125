/**
 * README's framework quick starts work as documented: for each framework (and each variant its
 * install line names: Express 4 and 5, Fastify 5, Koa 2 and 3), a project in the OS temp
 * directory holding only the packed tarball and exactly the packages of that install line runs
 * the README's code with `tsx`, and the seed's flow is driven over HTTP: create a key with a
 * session cookie, call the protected route (200), list, revoke (200), then 401 KEY_REVOKED.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { consumerReady } from './consumers.js'
import { packageSetKey, readmeQuickStarts } from './snippets.js'

const pkg = inject('package')
const quickStarts = readmeQuickStarts()
const running: ChildProcess[] = []

afterEach(async () => {
  for (const child of running.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
})

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}

/** Starts `tsx server.ts` in `dir`; resolves once the server answers HTTP. */
async function start(dir: string, env: Record<string, string>): Promise<string> {
  const tsx = join(dir, 'node_modules', '.bin', 'tsx')
  if (!existsSync(tsx)) throw new Error(`the install line names no tsx to run server.ts (${dir})`)
  const child = spawn(tsx, ['server.ts'], {
    cwd: dir,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.push(child)
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const base = `http://127.0.0.1:${env.PORT}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server.ts exited (${child.exitCode ?? child.signalCode}):\n${output}`)
    }
    try {
      await fetch(`${base}/api/v1/models`)
      return base
    } catch {
      if (Date.now() > deadline) throw new Error(`server.ts never answered:\n${output}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

describe('README quick starts, each in a clean project', () => {
  it('README.md has a quick start with an install line for Express 4 and 5, Fastify 5, Koa 2 and 3, Hono 4 and fetch', () => {
    expect(quickStarts.map((q) => q.name).sort()).toEqual([
      'Express 4',
      'Express 5',
      'Fastify 5',
      'Fetch (Bun, Deno, Cloudflare Workers, Node) (latest)',
      'Hono 4',
      'Koa 2',
      'Koa 3',
    ])
  })

  it.each(quickStarts.map((q) => [q.name, q] as const))(
    '%s: the documented install runs the quick start; create → use → list → revoke → 401',
    async (_name, quickStart) => {
      if (pkg === null) throw new Error('globalSetup test/support/global-package.ts did not run')
      const dir = await consumerReady(pkg.consumers[packageSetKey(quickStart.packages)])
      writeFileSync(join(dir, 'server.ts'), quickStart.code)

      const secret = randomBytes(32).toString('base64url')
      const base = await start(dir, {
        SESSION_SECRET: secret,
        PORT: String(await freePort()),
      })
      const session = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('alice')
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(secret))
      const cookie = { Cookie: `__session=${session}` }

      const created = await fetch(`${base}/api/v1/api-keys`, {
        method: 'POST',
        headers: { ...cookie, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'CI', scopes: ['models:read'] }),
      })
      expect(created.status).toBe(201)
      const { id, key } = (await created.json()) as { id: string; key: string }
      const bearer = { Authorization: `Bearer ${key}` }

      const models = await fetch(`${base}/api/v1/models`, { headers: bearer })
      expect([models.status, await models.json()]).toEqual([200, { userId: 'alice', models: [] }])

      const listed = await fetch(`${base}/api/v1/api-keys`, { headers: cookie })
      expect(listed.status).toBe(200)
      expect(await listed.json()).toMatchObject({ keys: [{ id, name: 'CI', revokedAt: null }] })

      const revoked = await fetch(`${base}/api/v1/api-keys/${id}`, {
        method: 'DELETE',
        headers: cookie,
      })
      expect(revoked.status).toBe(200)

      const after = await fetch(`${base}/api/v1/models`, { headers: bearer })
      expect(after.status).toBe(401)
      expect(await after.json()).toMatchObject({ error: { code: 'KEY_REVOKED' } })
    },
    300_000,
  )
})
