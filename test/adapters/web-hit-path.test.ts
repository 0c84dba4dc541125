/**
 * The fetch and Next.js adapters' hit path: the request's `Headers` are read by name (the two a
 * guard needs), never copied (src/http/web-request-accessors.ts); two `Authorization` lines,
 * which `Headers` joins with ", ", are still one refused value (401 INVALID_FORMAT); every route
 * shares one view class per `clientAddress` resolver.
 */
import { describe, expect, it } from 'vitest'
import { requireApiKey } from '../../adapters/frameworks/fetch/index.js'
import { withApiKey } from '../../adapters/frameworks/next/index.js'
import type { ApiKeyAuth, ApiKeyPrincipal } from '../../src/index.js'
import { setup } from '../support/setup.js'
import { watched } from '../support/watched-headers.js'

type Options = Parameters<typeof requireApiKey>[1]

// Each adapter as one function of a request: the principal (or null), or the refusal.
const adapters: Record<
  'fetch' | 'next',
  (auth: ApiKeyAuth, options: Options) => (request: Request) => Promise<Response | object | null>
> = {
  fetch: (auth, options) => requireApiKey(auth, options),
  next: (auth, options) => {
    const handler = withApiKey(auth, options ?? {}, (_request, _context, principal) =>
      Promise.resolve(Response.json(principal as ApiKeyPrincipal | null)),
    )
    return async (request) => {
      const response = await handler(request, {})
      return response.status === 200 ? ((await response.json()) as object | null) : response
    }
  },
}

async function warm() {
  const h = setup()
  const { key } = await h.issue({ scopes: ['models:read'] })
  await h.auth.verifyKey(key) // the next verification is a cache hit
  return { h, key }
}

describe.each(Object.entries(adapters))('%s adapter hit path', (_name, guardOf) => {
  it('reads Authorization by name and never enumerates the request headers', async () => {
    const { h, key } = await warm()
    const guard = guardOf(h.auth, { scopes: ['models:read'] })
    const hit = watched(`Bearer ${key}`)
    const principal = await guard(hit.request)
    expect(principal).toMatchObject({ userId: 'u123', scopes: ['models:read'] })
    expect(hit.names).toEqual(['authorization'])
    expect(hit.enumerations()).toBe(0)

    // A refusal with an auth.denied listener reads the method and path (the address: see
    // test/adapters/web-request-metadata.test.ts), still without enumerating.
    const events: unknown[] = []
    h.auth.on('auth.denied', (event) => void events.push(event.request))
    const denied = watched('Bearer not_a_key')
    const response = (await guard(denied.request)) as Response
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /)
    await new Promise((resolve) => setImmediate(resolve)) // events are delivered after the turn
    expect(events).toEqual([{ method: 'GET', path: '/api/v1/models' }])
    expect(denied.enumerations()).toBe(0)
  })

  it('two Authorization lines, joined by Headers, are one refused value: 401 INVALID_FORMAT', async () => {
    const { h, key } = await warm()
    const guard = guardOf(h.auth, { scopes: ['models:read'] })
    for (const optional of [false, true]) {
      const headers = new Headers()
      headers.append('authorization', `Bearer ${key}`)
      headers.append('authorization', `Bearer ${key}`)
      const request = new Request('http://app.example/api/v1/models', { headers })
      const response = (await (optional ? guardOf(h.auth, { optional }) : guard)(
        request,
      )) as Response
      expect(response).toBeInstanceOf(Response)
      expect(response.status).toBe(401)
      expect(await response.json()).toMatchObject({ error: { code: 'INVALID_FORMAT' } })
    }
  })

  it('optional: no header is anonymous, a bad one is still 401; neither enumerates', async () => {
    const { h } = await warm()
    const guard = guardOf(h.auth, { optional: true })
    const anonymous = watched()
    expect(await guard(anonymous.request)).toBeNull()
    expect(anonymous.enumerations()).toBe(0)
    const bad = watched('')
    expect(((await guard(bad.request)) as Response).status).toBe(401)
    expect(bad.enumerations()).toBe(0)
  })

  it('every route shares one view class without a resolver, and one per resolver function', async () => {
    const { h, key } = await warm()
    const seen = new Set<unknown>()
    const spied = Object.assign(Object.create(Object.getPrototypeOf(h.auth) as object), h.auth, {
      authenticate: (authorization: unknown, options: { request?: object }) => {
        seen.add(Object.getPrototypeOf(options.request))
        return h.auth.authenticate(authorization, options)
      },
    }) as typeof h.auth
    const resolver = () => '198.51.100.4'
    for (const scopes of [['models:read'], [], { anyOf: ['models:read'] }]) {
      for (const guard of [
        guardOf(spied, { scopes }),
        guardOf(spied, { scopes, clientAddress: resolver }),
      ]) {
        const request = new Request('http://app.example/api/v1/models', {
          headers: { authorization: `Bearer ${key}` },
        })
        expect(await guard(request)).toMatchObject({ userId: 'u123' })
      }
    }
    expect(seen.size).toBe(2)
  })
})
