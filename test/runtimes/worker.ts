/**
 * The e2e test service as a fetch handler for any runtime: the fixture (keys of every kind, a
 * failing store) is built inside the runtime on the first request, since workerd allows no I/O or
 * randomness at start-up. `GET /__fixture` tells the test process the keys and the counters its
 * checks need (handler runs, store lookups). Bundled by test/runtimes/build.ts.
 */
import { createFetchApp } from '../e2e/fetch-app.js'
import { createFixture, type Fixture } from '../e2e/fixture.js'
import { createPublicKeyApp, type PublicKeyConfig } from './public-key-app.js'

let publicKeyApp: ((request: Request) => Promise<Response | null>) | undefined

let ready: Promise<{ f: Fixture; app: (request: Request) => Promise<Response> }> | undefined

/** What `GET /__fixture` answers. */
export interface FixtureState {
  keys: Fixture['keys']
  keyIds: Fixture['keyIds']
  hits: { userId: string; keyId: string }[]
  anonymousHits: string[]
  lookups: number
  /** Whether this runtime gave the core node:crypto (else the JS SHA-256 hashed the keys). */
  nodeCrypto: boolean
}

/** Serves the test service. */
export async function handle(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url)
  if (pathname === '/__pk/configure' && request.method === 'POST') {
    // A new service per configuration: each session key kind gets a fresh store.
    publicKeyApp = createPublicKeyApp((await request.json()) as PublicKeyConfig)
    return new Response(null, { status: 204 })
  }
  if (pathname.startsWith('/pk/') && publicKeyApp !== undefined) {
    const answered = await publicKeyApp(request)
    if (answered !== null) return answered
  }
  ready ??= createFixture().then((f) => ({ f, app: createFetchApp(f) }))
  const { f, app } = await ready
  if (pathname === '/__fixture') {
    const get = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
      ?.getBuiltinModule
    const state: FixtureState = {
      keys: f.keys,
      keyIds: f.keyIds,
      hits: f.hits.map((p) => ({ userId: p.userId, keyId: p.keyId })),
      anonymousHits: f.anonymousHits,
      lookups: f.spy.calls.findByHash,
      nodeCrypto: typeof get === 'function' && get('node:crypto') !== undefined,
    }
    return Response.json(state)
  }
  return app(request)
}

export default { fetch: handle }
