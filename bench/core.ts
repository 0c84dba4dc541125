/**
 * Section 1: the core hot path, in process, with mitata. Every case runs once per round and the
 * rounds interleave, so drift on a shared machine hits all cases alike; ratios are per round.
 */
import { hash as sha256 } from 'node:crypto'
import { measure } from 'mitata'
import {
  type ApiKeyAuth,
  createApiKeyAuth,
  generateApiKey,
  MemoryKeyStore,
  type VerifyOptions,
} from '../src/index.js'
import { QUICK } from './lib/args.js'
import { formatRate, formatRatio, formatRange, met, summarize } from './lib/stats.js'
import { printNote, printTable } from './lib/table.js'

const ROUNDS = QUICK ? 3 : 5
const MIN_CPU_TIME_NS = (QUICK ? 150 : 500) * 1e6
const SCOPES: VerifyOptions = { scopes: ['models:read'] }
const HEAD = 'vydra_live_user_'

interface RefRecord {
  principal: { keyId: string; userId: string; scopes: readonly string[] }
  revoked: boolean
  expiresAtMs: number
}

/**
 * The minimum a verification has to do, written by hand: parse, one SHA-256 hex, `Map.get`,
 * expiry, scope check. Async like `verifyKey`, since a real store lookup is.
 */
function createReference(records: Map<string, RefRecord>) {
  return async (key: unknown, required: readonly string[]): Promise<RefRecord['principal']> => {
    if (typeof key !== 'string' || key.length > 512 || !key.startsWith(HEAD)) {
      throw new Error('invalid')
    }
    const record = records.get(sha256('sha256', key, 'hex'))
    if (record === undefined || record.revoked || Date.now() >= record.expiresAtMs) {
      throw new Error('rejected')
    }
    for (const need of required) {
      if (!record.principal.scopes.some((s) => s === '*' || s === need)) {
        throw new Error('scope')
      }
    }
    return record.principal
  }
}

const noop = (): void => {}

async function main(): Promise<void> {
  const store = new MemoryKeyStore()
  const cached = createApiKeyAuth({ store, logger: false })
  const uncached = createApiKeyAuth({ store, logger: false, cache: false })
  const { key, id } = await cached.createKey({
    userId: 'bench_user',
    name: 'bench',
    scopes: ['models:read', 'models:write'],
  })
  const reference = createReference(
    new Map([
      [
        sha256('sha256', key, 'hex'),
        {
          principal: { keyId: id, userId: 'bench_user', scopes: ['models:read', 'models:write'] },
          revoked: false,
          expiresAtMs: Number.POSITIVE_INFINITY,
        },
      ],
    ]),
  )
  const unknown = generateApiKey('bench_user')
  const malformed = 'sk-live-0123456789abcdefghijklmnopqrstuvwxyzABCDEF'
  // Same grammar, last checksum character changed.
  const badChecksum = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A')

  const verify = (auth: ApiKeyAuth, presented: string) => () => auth.verifyKey(presented, SCOPES)
  const reject = (auth: ApiKeyAuth, presented: string) => () =>
    auth.verifyKey(presented, SCOPES).then(noop, noop)

  // Sanity: each case does what its name says, so no row measures a shortcut by accident.
  await cached.verifyKey(key, SCOPES)
  await reference(key, SCOPES.scopes ?? [])
  for (const [presented, code] of [
    [malformed, 'INVALID_FORMAT'],
    [badChecksum, 'INVALID_FORMAT'],
    [unknown, 'KEY_NOT_FOUND'],
  ] as const) {
    const error = await cached.verifyKey(presented).catch((e: unknown) => e)
    if ((error as { code?: string }).code !== code) throw new Error(`bench setup: ${code}`)
  }

  const cases: { name: string; fn: () => unknown }[] = [
    { name: 'reference (hand-written, hit)', fn: () => reference(key, SCOPES.scopes ?? []) },
    { name: 'verifyKey: cache hit', fn: verify(cached, key) },
    { name: 'verifyKey: cache miss (MemoryKeyStore, cache: false)', fn: verify(uncached, key) },
    { name: 'rejected: malformed', fn: reject(cached, malformed) },
    { name: 'rejected: checksum-invalid', fn: reject(cached, badChecksum) },
    { name: 'rejected: unknown key, negative cache on', fn: reject(cached, unknown) },
    { name: 'rejected: unknown key, negative cache off', fn: reject(uncached, unknown) },
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
  const hitVsRef = ratio(1, 0)
  const malformedVsHit = ratio(3, 1)
  const checksumVsHit = ratio(4, 1)
  const targets: Record<number, string> = {
    1: `≥ 0.80× reference: ${met(hitVsRef.median >= 0.8)}`,
    3: `≥ 10× cache hit: ${met(malformedVsHit.median >= 10)}`,
    4: `≥ 10× cache hit: ${met(checksumVsHit.median >= 10)}`,
  }
  const rows = cases.map((c, i) => {
    const s = summarize(ops(i))
    return [
      c.name,
      formatRate(s.median),
      formatRange(s, formatRate),
      formatRatio(ratio(i, 1)),
      i === 0 ? '' : formatRatio(ratio(i, 0)),
      targets[i] ?? '',
    ]
  })
  printTable(
    `1. Core hot path (ops/s, ${ROUNDS} interleaved rounds)`,
    ['case', 'median ops/s', 'min–max', 'vs cache hit', 'vs reference', 'target met?'],
    rows,
  )
  printNote(
    'Reference: typeof + prefix check, one SHA-256 hex, Map.get, revoked/expiry, scope check; ' +
      'no checksum, no LRU, no lastUsedAt throttle. Rejections are awaited and caught.',
  )
}

await main()
