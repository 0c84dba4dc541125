/**
 * Section 8: leaked keys. (a) Leak to rejection: from sending a signed secret-scanning report to
 * instance A (a real HTTP server, the signature checked against a key set on loopback) to
 * instance B (its own connections, its cache holding the key) answering `KEY_REVOKED`, on
 * PostgreSQL and Redis. (b) What a pepper ring costs verification: cache hits and misses with a
 * plain pepper and with a ring that has a previous pepper, interleaved rounds, pinned.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { setImmediate as yieldToIo } from 'node:timers/promises'
import { measure } from 'mitata'
import { createSecretScanningHandler, readBody } from '../src/http/index.js'
import {
  type ApiKeyAuth,
  type ApiKeyAuthOptions,
  createApiKeyAuth,
  isAuthError,
  MemoryKeyStore,
} from '../src/index.js'
import {
  postgresMember,
  redisMember,
  summarize as latency,
  type OpenMember,
} from './fleet-revocation.js'
import { QUICK } from './lib/args.js'
import { cpuOf, pinSelf } from './lib/cpu.js'
import { formatRatio, formatRate, formatRange, summarize } from './lib/stats.js'
import { printNote, printTable } from './lib/table.js'
import { startPostgres, startRedis } from '../test/support/servers.js'

const REPORTS = QUICK ? 20 : 100
const ROUNDS = QUICK ? 3 : 7
const MIN_CPU_TIME_NS = (QUICK ? 150 : 500) * 1e6
const A = randomBytes(32).toString('base64')
const B = randomBytes(32).toString('base64')

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function leakToRejection(open: OpenMember): Promise<ReturnType<typeof latency>> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const keyId = randomBytes(32).toString('hex')
  const keySet = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        public_keys: [
          {
            key_identifier: keyId,
            key: publicKey.export({ type: 'spki', format: 'pem' }),
            is_current: true,
          },
        ],
      }),
    )
  })
  const keySetUrl = await listen(keySet)
  const shared = `leak_${randomBytes(6).toString('hex')}`
  const [a, b] = [await open(shared), await open(shared)]
  const authA = createApiKeyAuth({ store: a.store, logger: false })
  // B's clock stands still: its cache never expires, only the push can evict.
  const frozen = Date.now()
  const authB = createApiKeyAuth({ store: b.store, logger: false, now: () => frozen })
  const handle = createSecretScanningHandler(authA, { keySetUrl })
  const endpoint = createServer((req, res) => {
    void handle({
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      readBody: (limit) => readBody(req, limit),
    }).then((response) => {
      res.writeHead(response?.status ?? 404, response?.headers).end(JSON.stringify(response?.body))
    })
  })
  const url = `${await listen(endpoint)}/api/v1/secret-scanning/github`
  const samples: number[] = []
  try {
    for (let i = -3; i < REPORTS; i++) {
      const { key } = await authA.createKey({ userId: 'leak_bench', name: `k${i}` })
      await authB.verifyKey(key)
      const body = JSON.stringify([
        {
          token: key,
          type: 'vydra_api_key',
          url: 'https://github.com/o/r/blob/x/f',
          source: 'content',
        },
      ])
      const start = performance.now()
      const response = await fetch(url, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'github-public-key-identifier': keyId,
          'github-public-key-signature': sign('sha256', Buffer.from(body), privateKey).toString(
            'base64',
          ),
        },
      })
      if (response.status !== 200) throw new Error(`report answered ${response.status}`)
      await response.arrayBuffer()
      await untilRevoked(authB, key)
      if (i >= 0) samples.push(performance.now() - start)
    }
  } finally {
    await Promise.all([authA.close(), authB.close()])
    await Promise.all([a.close(), b.close()])
    endpoint.close()
    keySet.close()
  }
  return latency(samples)
}

async function untilRevoked(auth: ApiKeyAuth, key: string): Promise<void> {
  const deadline = performance.now() + 10_000
  for (;;) {
    const code = await auth.verifyKey(key).then(
      () => 'OK',
      (error: unknown) => (isAuthError(error) ? error.code : 'error'),
    )
    if (code === 'KEY_REVOKED') return
    if (performance.now() > deadline) throw new Error(`B answers ${code} 10 s after the report`)
    await yieldToIo()
  }
}

async function pepperCost(): Promise<void> {
  const plainPepper: ApiKeyAuthOptions['pepper'] = A
  const ring: ApiKeyAuthOptions['pepper'] = {
    current: { id: 'p2', secret: A },
    previous: [{ id: 'p1', secret: B }],
  }
  const make = (pepper: ApiKeyAuthOptions['pepper'], cache: boolean) => {
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      pepper,
      logger: false,
      ...(cache ? {} : { cache: false }),
    })
    return auth
  }
  const scopes = { scopes: ['models:read'] }
  const setup = async (pepper: ApiKeyAuthOptions['pepper'], cache: boolean) => {
    const auth = make(pepper, cache)
    const { key } = await auth.createKey({ userId: 'bench', name: 'k', scopes: ['models:read'] })
    await auth.verifyKey(key, scopes)
    return () => auth.verifyKey(key, scopes)
  }
  // A miss that finds the key under the previous pepper: the record is created by a plain-B
  // instance over a store without rehash, so every lookup walks to the older digest.
  const olderMiss = async () => {
    const memory = new MemoryKeyStore()
    const noRehash = {
      insert: memory.insert.bind(memory),
      findByHash: memory.findByHash.bind(memory),
      findByHashes: memory.findByHashes.bind(memory),
      listByUser: memory.listByUser.bind(memory),
      revoke: memory.revoke.bind(memory),
    }
    const old = createApiKeyAuth({
      store: noRehash,
      pepper: { current: { id: 'p1', secret: B } },
      logger: false,
    })
    const { key } = await old.createKey({ userId: 'bench', name: 'k', scopes: ['models:read'] })
    const auth = createApiKeyAuth({ store: noRehash, pepper: ring, logger: false, cache: false })
    return () => auth.verifyKey(key, scopes)
  }
  const cases = [
    { name: 'cache hit, plain pepper', fn: await setup(plainPepper, true) },
    { name: 'cache hit, ring (current + previous)', fn: await setup(ring, true) },
    { name: 'cache miss, plain pepper (cache: false)', fn: await setup(plainPepper, false) },
    { name: 'cache miss, ring, key under current', fn: await setup(ring, false) },
    { name: 'cache miss, ring, key under previous (one findByHashes)', fn: await olderMiss() },
  ]
  const opsPerRound = cases.map(() => [] as number[])
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, c] of cases.entries()) {
      const stats = await measure(c.fn, { min_cpu_time: MIN_CPU_TIME_NS })
      opsPerRound[i]?.push(1e9 / stats.avg)
    }
  }
  const ops = (i: number): number[] => opsPerRound[i] ?? []
  const ratio = (i: number, base: number) =>
    summarize(ops(i).map((v, r) => v / (ops(base)[r] ?? 1)))
  const baseOf = [0, 0, 2, 2, 2]
  printTable(
    `8b. Pepper ring cost (ops/s, ${ROUNDS} interleaved rounds)`,
    ['case', 'median ops/s', 'min–max', 'vs its plain-pepper case'],
    cases.map((c, i) => [
      c.name,
      formatRate(summarize(ops(i)).median),
      formatRange(summarize(ops(i)), formatRate),
      formatRatio(ratio(i, baseOf[i] as number)),
    ]),
  )
  printNote(`Memory store, scopes ['models:read']. Runs on ${cpuOf('server')}.`)
}

async function main(): Promise<void> {
  pinSelf('server')
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis({ persistent: true })])
  try {
    const rows: string[][] = []
    for (const [name, open] of [
      ['postgres', postgresMember(postgres.info)],
      ['redis', redisMember(redis.info)],
    ] as const) {
      const s = await leakToRejection(open)
      rows.push([
        name,
        `${s.p50.toFixed(2)} ms`,
        `${s.p99.toFixed(2)} ms`,
        `${s.max.toFixed(2)} ms`,
        String(s.samples.length),
        s.p99 < 50 ? 'met' : '**missed**',
      ])
    }
    printTable(
      '8a. Leak to rejection on another instance (signed POST → B answers KEY_REVOKED)',
      ['store', 'p50', 'p99', 'max', 'reports', 'p99 < 50 ms?'],
      rows,
    )
  } finally {
    await Promise.all([postgres.close(), redis.close()])
  }
  await pepperCost()
}

await main()
