import { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { describe, expect, test } from 'vitest'
import { readBody } from '../../src/index.js'

const stream = (chunks: string[], headers: Record<string, string> = {}): Readable =>
  Object.assign(Readable.from(chunks.map((c) => Buffer.from(c))), { headers })

describe('readBody', () => {
  test('reads a body up to the limit', async () => {
    const body = await readBody(stream(['{"a":', '1}']), 16)
    expect(Buffer.from(body ?? []).toString()).toBe('{"a":1}')
  })

  test('null as soon as the stream passes the limit, and the rest is drained', async () => {
    const source = stream(['x'.repeat(10), 'y'.repeat(10), 'z'.repeat(10)])
    expect(await readBody(source, 15)).toBeNull()
    await finished(source)
    expect(source.readableEnded).toBe(true)
  })

  test('null straight from a Content-Length over the limit', async () => {
    expect(await readBody(stream(['x'], { 'content-length': '100000' }), 16)).toBeNull()
  })

  test('an empty body is an empty array', async () => {
    expect(await readBody(stream([]), 16)).toEqual(new Uint8Array())
  })
})
