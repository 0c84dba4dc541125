import { describe, expect, test } from 'vitest'
import { checkCsrf } from '../src/index.js'

const codeOf = (fn: () => void): string => {
  try {
    fn()
    return 'ok'
  } catch (error) {
    return (error as { code: string }).code
  }
}

describe('checkCsrf', () => {
  const own = { host: 'api.example:8443' }
  test("the request's own origin passes by default; any other is CSRF_REJECTED", () => {
    expect(
      codeOf(() =>
        checkCsrf(
          { headers: { ...own, origin: 'https://api.example:8443' }, protocol: 'https' },
          undefined,
        ),
      ),
    ).toBe('ok')
    for (const origin of [
      'http://api.example:8443',
      'https://api.example',
      'https://evil.example',
      'null',
      '',
    ]) {
      expect([
        origin,
        codeOf(() => checkCsrf({ headers: { ...own, origin }, protocol: 'https' }, undefined)),
      ]).toEqual([origin, 'CSRF_REJECTED'])
    }
  })

  test('configured allowed origins replace the default', () => {
    const allowed = ['https://app.example']
    expect(
      codeOf(() => checkCsrf({ headers: { ...own, origin: 'https://app.example' } }, allowed)),
    ).toBe('ok')
    expect(
      codeOf(() =>
        checkCsrf(
          { headers: { ...own, origin: 'https://api.example:8443' }, protocol: 'https' },
          allowed,
        ),
      ),
    ).toBe('CSRF_REJECTED')
  })

  test('Sec-Fetch-Site: cross-site is rejected even without Origin; same-site values pass', () => {
    expect(
      codeOf(() => checkCsrf({ headers: { 'sec-fetch-site': 'cross-site' } }, undefined)),
    ).toBe('CSRF_REJECTED')
    expect(
      codeOf(() => checkCsrf({ headers: { 'sec-fetch-site': 'Cross-Site' } }, undefined)),
    ).toBe('CSRF_REJECTED')
    expect(
      codeOf(() => checkCsrf({ headers: { 'sec-fetch-site': 'same-origin' } }, undefined)),
    ).toBe('ok')
    expect(codeOf(() => checkCsrf({ headers: { 'sec-fetch-site': 'none' } }, undefined))).toBe('ok')
  })

  test('no Origin and no fetch metadata (curl, servers) passes; two Origin values do not', () => {
    expect(codeOf(() => checkCsrf({ headers: own }, undefined))).toBe('ok')
    expect(
      codeOf(() =>
        checkCsrf(
          { headers: { ...own, origin: ['https://a.example', 'https://b.example'] } },
          undefined,
        ),
      ),
    ).toBe('CSRF_REJECTED')
  })
})

describe('issue 9 (finding 10): the authority the server received, over HTTP/2 too', () => {
  const origin = 'https://api.example:8443'
  const check = (headers: Record<string, string>): string =>
    codeOf(() => checkCsrf({ headers: { origin, ...headers }, protocol: 'https' }, undefined))

  test(':authority without Host (HTTP/2) is the own origin', () => {
    expect(check({ ':authority': 'api.example:8443' })).toBe('ok')
    expect(check({ ':authority': 'API.example:8443' })).toBe('ok')
    expect(check({ ':authority': 'evil.example' })).toBe('CSRF_REJECTED')
  })

  test('Host and :authority that agree pass; that differ are no own origin (fail closed)', () => {
    expect(check({ ':authority': 'api.example:8443', host: 'api.example:8443' })).toBe('ok')
    expect(check({ ':authority': 'api.example:8443', host: 'other.example' })).toBe('CSRF_REJECTED')
    expect(check({ ':authority': 'other.example', host: 'api.example:8443' })).toBe('CSRF_REJECTED')
  })
})

describe('checkCsrf details', () => {
  const reasonOf = (fn: () => void): string | undefined => {
    try {
      fn()
    } catch (error) {
      return `${(error as { code: string }).code} ${(error as { reason?: string }).reason}`
    }
    return 'ok'
  }

  test('refusals say why: cross_site or foreign_origin', () => {
    expect(reasonOf(() => checkCsrf({ headers: { 'sec-fetch-site': 'cross-site' } }, []))).toBe(
      'CSRF_REJECTED cross_site',
    )
    expect(reasonOf(() => checkCsrf({ headers: { origin: 'https://evil.example' } }, []))).toBe(
      'CSRF_REJECTED foreign_origin',
    )
  })

  test('surrounding whitespace in Sec-Fetch-Site and Origin is ignored', () => {
    expect(
      reasonOf(() => checkCsrf({ headers: { 'sec-fetch-site': ' cross-site ' } }, undefined)),
    ).toBe('CSRF_REJECTED cross_site')
    expect(
      reasonOf(() =>
        checkCsrf({ headers: { origin: ' https://app.example ' } }, ['https://app.example']),
      ),
    ).toBe('ok')
  })

  test('the own origin follows the request protocol; plain http when none is given', () => {
    const host = { host: 'api.example:8080' }
    expect(
      reasonOf(() =>
        checkCsrf(
          { headers: { ...host, origin: 'http://api.example:8080' }, protocol: 'http' },
          undefined,
        ),
      ),
    ).toBe('ok')
    expect(
      reasonOf(() =>
        checkCsrf({ headers: { ...host, origin: 'http://api.example:8080' } }, undefined),
      ),
    ).toBe('ok')
    expect(
      reasonOf(() =>
        checkCsrf({ headers: { ...host, origin: 'https://api.example:8080' } }, undefined),
      ),
    ).toBe('CSRF_REJECTED foreign_origin')
  })

  test('without a usable Host there is no own origin: every Origin is foreign', () => {
    for (const headers of [
      { origin: 'http://undefined' },
      { origin: 'http://a b', host: 'a b' },
      { origin: 'http://x', host: ['x', 'y'] },
    ]) {
      expect([headers, reasonOf(() => checkCsrf({ headers }, undefined))]).toEqual([
        headers,
        'CSRF_REJECTED foreign_origin',
      ])
    }
  })

  test('a header given as a one-element list counts; two values of one header count as none', () => {
    const allowed = ['https://app.example']
    expect(
      reasonOf(() => checkCsrf({ headers: { origin: ['https://app.example'] } }, allowed)),
    ).toBe('ok')
    expect(
      reasonOf(() =>
        checkCsrf(
          { headers: { origin: ['https://app.example', 'https://evil.example'] } },
          allowed,
        ),
      ),
    ).toBe('CSRF_REJECTED foreign_origin')
    expect(
      reasonOf(() => checkCsrf({ headers: { 'sec-fetch-site': ['cross-site'] } }, allowed)),
    ).toBe('CSRF_REJECTED cross_site')
    // Two Sec-Fetch-Site values are no verdict at all: the Origin decides.
    expect(
      reasonOf(() =>
        checkCsrf(
          {
            headers: {
              'sec-fetch-site': ['same-origin', 'cross-site'],
              origin: 'https://app.example',
            },
          },
          allowed,
        ),
      ),
    ).toBe('ok')
  })
})
