/**
 * The Vydra API of the seed page, runnable: `npm run demo`.
 *
 * In an application, import from `@vydra/auth`, `@vydra/auth/express` and `@vydra/auth/sqlite`;
 * this example imports the sources so that it runs straight after `npm ci`, with no build.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import express from 'express'
import { SignJWT } from 'jose'
import { apiKeyRoutes, requireApiKey } from '../../adapters/frameworks/express/index.js'
import { SqliteKeyStore } from '../../adapters/stores/sqlite/index.js'
import { createApiKeyAuth } from '../../src/index.js'

const here = dirname(fileURLToPath(import.meta.url))
const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'
const demoUser = process.env.DEMO_USER ?? 'demo'
const dbFile = process.env.VYDRA_DEMO_DB ?? join(here, '.data', 'vydra-demo.sqlite')
// A dev secret: from the environment, or a fresh one per start (old session cookies then stop
// working; API keys live on in the SQLite file).
const sessionSecret = process.env.SESSION_SECRET ?? randomBytes(32).toString('base64url')

mkdirSync(dirname(dbFile), { recursive: true })
const store = new SqliteKeyStore(dbFile)
const auth = createApiKeyAuth({
  store,
  // null: no pepper in the demo unless API_KEY_PEPPER is set (an unset variable alone is refused).
  pepper: process.env.API_KEY_PEPPER ?? null,
  scopes: [
    'models:read',
    'models:write',
    'jobs:read',
    'jobs:write',
    'upload:write',
    'account:read',
  ],
})

interface Job {
  id: string
  userId: string
  model: string
  prompt: string
  status: 'queued'
  createdAt: string
}
const jobs: Job[] = []
const models = [
  { id: 'vydra-image-1', type: 'image', description: 'Text to image' },
  { id: 'vydra-video-1', type: 'video', description: 'Text to video' },
]

const app = express()
app.disable('x-powered-by')
app.get('/api/v1/health', (_req, res) => {
  res.json({ status: 'ok' })
})
// ui: the key page at /api/v1/api-keys/ui; openapi: the routes' document at …/openapi.json.
app.use(
  apiKeyRoutes(auth, { session: { jwt: { secret: sessionSecret } }, ui: true, openapi: true }),
)
app.get('/api/v1/models', requireApiKey(auth, { scopes: ['models:read'] }), (_req, res) => {
  res.json({ models })
})
app.post(
  '/api/v1/models/generate',
  requireApiKey(auth, { scopes: ['models:write'] }),
  express.json({ limit: '16kb' }),
  (req, res) => {
    const body = (req.body ?? {}) as { model?: unknown; prompt?: unknown }
    const model = typeof body.model === 'string' ? body.model : 'vydra-image-1'
    const prompt = typeof body.prompt === 'string' ? body.prompt.slice(0, 2000) : ''
    const job: Job = {
      id: randomUUID(),
      userId: req.auth?.userId ?? '',
      model,
      prompt,
      status: 'queued',
      createdAt: new Date().toISOString(),
    }
    jobs.push(job)
    res.status(202).json(job)
  },
)
app.get('/api/v1/jobs', requireApiKey(auth, { scopes: ['jobs:read'] }), (req, res) => {
  res.json({ jobs: jobs.filter((job) => job.userId === req.auth?.userId) })
})
app.get('/api/v1/account', requireApiKey(auth, { scopes: ['account:read'] }), (req, res) => {
  res.json({ userId: req.auth?.userId, keyId: req.auth?.keyId, scopes: req.auth?.scopes })
})
// Demo only: a stand-in for your sign-in service. It sets the session cookie of the demo user
// and opens the key page, so the whole seed flow can be tried in a browser.
app.get('/demo/sign-in', async (_req, res) => {
  const token = await sessionFor(demoUser)
  res.cookie('__session', token, { httpOnly: true, sameSite: 'lax', path: '/', maxAge: 86_400_000 })
  res.redirect(303, '/api/v1/api-keys/ui')
})
app.use((_req, res) => {
  res.status(404).json({ error: { code: 'NOT_FOUND', message: 'No such route' } })
})

/** A session JWT for `userId`, valid 24 h, as a sign-in service would issue it. */
function sessionFor(userId: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ sub: userId })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(now)
    .setExpirationTime(now + 86_400)
    .sign(new TextEncoder().encode(sessionSecret))
}

const server = app.listen(port, host, async () => {
  const { port: actual } = server.address() as AddressInfo
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`
  const session = await sessionFor(demoUser)
  console.log(`Vydra demo API listening on ${base}`)
  console.log(`Key page in a browser: ${base}/demo/sign-in (signs you in as "${demoUser}")`)
  console.log(`Key store: SQLite file ${relative(process.cwd(), dbFile) || dbFile}`)
  console.log(`Session cookie for demo user "${demoUser}" (valid 24 h):`)
  console.log(`__session=${session}`)
  console.log(`
# Create an API key (session authentication); copy "key" and "id" from the answer
curl -X POST ${base}/api/v1/api-keys \\
  -H "Content-Type: application/json" \\
  -H "Cookie: __session=${session}" \\
  -d '{"name": "My Production Key", "expiresInDays": 90}'

# Use it
curl ${base}/api/v1/models \\
  -H "Authorization: Bearer YOUR_API_KEY"

# List your keys (session authentication; never shows a secret)
curl ${base}/api/v1/api-keys \\
  -H "Cookie: __session=${session}"

# Roll a key: a new key (shown once) replaces it; the old one works 1 more hour
curl -X POST ${base}/api/v1/api-keys/KEY_ID/roll \\
  -H "Content-Type: application/json" \\
  -H "Cookie: __session=${session}" \\
  -d '{"gracePeriodMs": 3600000}'

# Disable a key (401 KEY_DISABLED until enabled again: POST .../KEY_ID/enable)
curl -X POST ${base}/api/v1/api-keys/KEY_ID/disable \\
  -H "Cookie: __session=${session}"

# Revoke a key (then the next request with it is 401 KEY_REVOKED)
curl -X DELETE ${base}/api/v1/api-keys/KEY_ID \\
  -H "Cookie: __session=${session}"
`)
})

const stop = (): void => {
  server.close(() => {
    auth.close()
    store.close()
    process.exit(0)
  })
  server.closeAllConnections()
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
