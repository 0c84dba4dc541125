/**
 * A web `Request` whose `Headers` records what is read of it: the names looked up with `get`,
 * and how often it was enumerated (`forEach`, `entries`, `keys`, `values`, iteration). The web
 * adapters' hit-path tests use it to pin that a guard reads headers by name, never copies them.
 */
export function watched(authorization?: string): {
  request: Request
  names: string[]
  enumerations: () => number
} {
  const names: string[] = []
  let enumerations = 0
  const headers = new Headers({ 'user-agent': 'test', 'x-forwarded-for': '203.0.113.7' })
  if (authorization !== undefined) headers.set('authorization', authorization)
  const get = headers.get.bind(headers)
  Object.defineProperty(headers, 'get', {
    value: (name: string) => {
      names.push(name.toLowerCase())
      return get(name)
    },
  })
  for (const method of ['forEach', 'entries', 'keys', 'values', Symbol.iterator] as const) {
    const original = (headers[method] as (...args: unknown[]) => unknown).bind(headers)
    Object.defineProperty(headers, method, {
      value: (...args: unknown[]) => {
        enumerations++
        return original(...args)
      },
    })
  }
  const request = new Request('http://app.example/api/v1/models')
  Object.defineProperty(request, 'headers', { value: headers })
  return { request, names, enumerations: () => enumerations }
}
