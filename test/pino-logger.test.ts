/**
 * pino passed as `logger` directly (src/options/object-first-logger.ts): every line carries the
 * library's context as structured fields, at the right level, with nothing secret in it.
 */
import { describe, expect, it } from 'vitest'
import { pino, type Logger } from 'pino'
import { createApiKeyAuth, generateApiKey, MemoryKeyStore } from '../src/index.js'
import { findSecrets, registerKey } from './support/secret-scan.js'

function capture(): { lines: Record<string, unknown>[]; log: Logger<never> } {
  const lines: Record<string, unknown>[] = []
  const log = pino(
    { level: 'debug' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  )
  return { lines, log }
}

describe('pino as the logger', () => {
  it('gets the context as fields and the message as msg, at the matching level', async () => {
    const { lines, log } = capture()
    const store = new MemoryKeyStore()
    const auth = createApiKeyAuth({ store, logger: log })
    const { key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    auth.on('key.created', () => {
      throw new Error('listener bug')
    })
    const again = await auth.createKey({ userId: 'u1', name: 'k2' })
    registerKey(again.key)
    store.findByHash = () => Promise.reject(new Error('connection refused'))
    await auth.verifyKey(generateApiKey('u1')).catch(() => {})
    await new Promise((resolve) => setImmediate(resolve))
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 50,
          msg: 'event listener failed',
          event: 'key.created',
          error: 'Error: listener bug',
        }),
        expect.objectContaining({
          level: 50,
          msg: 'store findByHash failed',
          error: 'Error: connection refused',
        }),
      ]),
    )
    for (const line of lines) expect(findSecrets(JSON.stringify(line))).toEqual([])
  })

  it('a logger that only looks like pino in part is called the usual way', () => {
    const calls: unknown[][] = []
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      logger: {
        warn: (...args: unknown[]) => void calls.push(args),
        error: (...args: unknown[]) => void calls.push(args),
        child: () => ({}),
      } as never,
    })
    auth.options.logger.warn('message', { a: 1 })
    expect(calls).toEqual([['message', { a: 1 }]])
  })
})
