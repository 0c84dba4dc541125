/**
 * Faults of the limit store: its Redis is SIGKILLed under load and restarted. The outage policy
 * holds (rate limits open, credits closed), no request gets a 500 or hangs past the deadline,
 * and limits apply again by themselves once the server is back, with the usage it had.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisLimitStore } from '../../adapters/stores/redis/index.js'
import { createApiKeyGuard } from '../../src/http/index.js'
import { type ApiKeyAuth, createApiKeyAuth, MemoryKeyStore } from '../../src/index.js'
import { createLogSink } from '../support/log-sink.js'
import { registerKey } from '../support/secret-scan.js'
import { findBinaries, type ManagedServer, type RedisInfo, startRedis } from '../support/servers.js'
import { makeRedis, serverRuns } from './helpers.js'

const STORE_TIMEOUT_MS = 300
const binaries = findBinaries()

describe.runIf(serverRuns('redis', binaries.redis !== undefined ? true : null))(
  'limit store faults (Redis killed and restarted)',
  () => {
    let server: ManagedServer<RedisInfo>
    let client: ReturnType<typeof makeRedis>
    let auth: ApiKeyAuth
    const logs = createLogSink()
    const keys = { rate: '', credits: '' }
    beforeAll(async () => {
      server = await startRedis({ binaries, persistent: true })
      client = makeRedis(server.info)
      auth = createApiKeyAuth({
        store: new MemoryKeyStore(),
        storeTimeoutMs: STORE_TIMEOUT_MS,
        logger: logs.logger,
        limits: { store: new RedisLimitStore(client) },
      })
      const rate = await auth.createKey({
        userId: 'u1',
        name: 'rate',
        limits: { rate: [{ name: 'minute', limit: 5, windowMs: 60_000 }] },
      })
      const credits = await auth.createKey({
        userId: 'u1',
        name: 'credits',
        limits: { credits: { remaining: 1_000 } },
      })
      keys.rate = rate.key
      keys.credits = credits.key
      registerKey(rate.key)
      registerKey(credits.key)
    }, 60_000)
    afterAll(async () => {
      client?.disconnect()
      await server?.stop()
    })

    const guard = (): ReturnType<typeof createApiKeyGuard> => createApiKeyGuard(auth)
    const status = async (key: string): Promise<{ status: number; ms: number }> => {
      const started = performance.now()
      const result = await guard()({ headers: { authorization: `Bearer ${key}` } })
      return { status: result.ok ? 200 : result.response.status, ms: performance.now() - started }
    }
    const burst = async (key: string, n: number): Promise<number[]> => {
      const results = await Promise.all(Array.from({ length: n }, () => status(key)))
      for (const r of results) expect(r.ms).toBeLessThan(STORE_TIMEOUT_MS * 3)
      return results.map((r) => r.status)
    }

    it('up, killed, down, restarted: the policy holds, never a 500, recovery is automatic', async () => {
      // Up: the limit applies.
      const up = await burst(keys.rate, 8)
      expect(up.filter((s) => s === 200)).toHaveLength(5)
      expect(up.filter((s) => s === 429)).toHaveLength(3)
      expect(await burst(keys.credits, 3)).toEqual([200, 200, 200])

      // Killed under load: requests under way and after it end in the policy's answer.
      const during = Promise.all([burst(keys.rate, 10), burst(keys.credits, 10)])
      await server.kill()
      const [rateDuring, creditsDuring] = await during
      for (const s of [...rateDuring, ...creditsDuring]) expect([200, 429, 503]).toContain(s)

      // Down: rate limits fail open (admitted), credits fail closed (503 with Retry-After).
      expect(await burst(keys.rate, 5)).toEqual([200, 200, 200, 200, 200])
      expect(await burst(keys.credits, 5)).toEqual([503, 503, 503, 503, 503])
      expect(
        logs.lines.some((l) => l.level === 'warn' && l.message.includes('outage policy open')),
      ).toBe(true)

      // Restarted: nobody intervenes; the usage counted before the kill is still there.
      await server.restart()
      const deadline = Date.now() + 15_000
      let back: number[] = []
      while (Date.now() < deadline) {
        back = await burst(keys.credits, 1)
        if (back[0] === 200) break
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(back).toEqual([200])
      expect(await burst(keys.rate, 3)).toEqual([429, 429, 429])
    }, 60_000)
  },
)
