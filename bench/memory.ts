/**
 * Section 5: memory under attack, in a process started with `--expose-gc`. Heap is measured
 * after two forced collections, before and after each phase, with the library's defaults.
 */
import { randomBytes } from 'node:crypto'
import { createApiKeyAuth, generateApiKey, MemoryKeyStore } from '../src/index.js'
import { recordOf } from './http/keys.js'
import { QUICK } from './lib/args.js'
import { pinSelf } from './lib/cpu.js'
import { formatBytes, met } from './lib/stats.js'
import { printNote, printTable, printUnavailable } from './lib/table.js'

const ATTACK = QUICK ? 100_000 : 1_000_000
const DISTINCT = QUICK ? 20_000 : 100_000
const BATCH = 256
const CAP_BYTES = 32 * 1024 * 1024

const gc = (globalThis as { gc?: () => void }).gc

function heap(): number {
  gc?.()
  gc?.()
  return process.memoryUsage().heapUsed
}

/** Runs `count` verifications of `next()`, `BATCH` at a time; returns how many were rejected. */
async function verifyMany(
  verify: (key: string) => Promise<unknown>,
  next: (i: number) => string,
  count: number,
): Promise<number> {
  let rejected = 0
  const onReject = (): void => {
    rejected++
  }
  for (let start = 0; start < count; start += BATCH) {
    const batch: Promise<unknown>[] = []
    for (let i = start; i < Math.min(count, start + BATCH); i++) {
      batch.push(verify(next(i)).catch(onReject))
    }
    await Promise.all(batch)
  }
  return rejected
}

async function main(): Promise<void> {
  pinSelf('server')
  const title =
    '5. Memory under attack (defaults: 10,000 keys cached, 10,000 "no such key" results)'
  if (gc === undefined) {
    printUnavailable(title, 'run with `node --expose-gc` (npm run bench does)')
    return
  }
  const store = new MemoryKeyStore()
  const auth = createApiKeyAuth({ store, logger: false })
  const verify = (key: string): Promise<unknown> => auth.verifyKey(key)
  const rows: string[][] = []
  const limits = auth.options.cache === false ? undefined : auth.options.cache

  // A: random well-formed keys that do not exist (each one a store lookup, then negative cache).
  let base = heap()
  const unknownRejected = await verifyMany(verify, () => generateApiKey('victim'), ATTACK)
  let grown = heap() - base
  let stats = auth.cacheStats()
  rows.push([
    `${ATTACK.toLocaleString('en')} random well-formed unknown keys`,
    `${unknownRejected.toLocaleString('en')} rejected`,
    formatBytes(grown),
    `${stats.positive} / ${stats.negative} / ${stats.touched}`,
    `< 32 MiB and negative ≤ ${limits?.negativeMaxEntries}: ${met(
      grown < CAP_BYTES && stats.negative <= (limits?.negativeMaxEntries ?? 0),
    )}`,
  ])

  // B: malformed keys, half garbage, half valid-looking with a wrong checksum.
  const noise = randomBytes(64).toString('base64url')
  const template = generateApiKey('victim')
  base = heap()
  const negativeBefore = stats.negative
  const malformedRejected = await verifyMany(
    verify,
    (i) =>
      i % 2 === 0
        ? `sk_${noise.slice(i % 16, 40 + (i % 16))}${i}`
        : `${template.slice(0, -7)}${String(i % 10_000_000).padStart(7, '0')}`,
    ATTACK,
  )
  grown = heap() - base
  stats = auth.cacheStats()
  rows.push([
    `${ATTACK.toLocaleString('en')} malformed keys (garbage, bad checksum)`,
    `${malformedRejected.toLocaleString('en')} rejected`,
    formatBytes(grown),
    `${stats.positive} / ${stats.negative} / ${stats.touched}`,
    `grows nothing (< 1 MiB, no cache entry): ${met(
      grown < 1024 * 1024 && stats.negative === negativeBefore,
    )}`,
  ])

  // C: valid keys, ten times more distinct ones than the cache holds.
  const keys = Array.from({ length: DISTINCT }, (_, i) => generateApiKey(`bench_${i}`))
  for (const [i, key] of keys.entries()) await store.insert(recordOf(key, i))
  base = heap()
  const validRejected = await verifyMany(verify, (i) => keys[i % DISTINCT] as string, ATTACK)
  grown = heap() - base
  stats = auth.cacheStats()
  rows.push([
    `${ATTACK.toLocaleString('en')} valid verifications of ${DISTINCT.toLocaleString('en')} distinct keys`,
    `${validRejected.toLocaleString('en')} rejected`,
    formatBytes(grown),
    `${stats.positive} / ${stats.negative} / ${stats.touched}`,
    `positive at its cap (${limits?.maxEntries}): ${met(
      validRejected === 0 && stats.positive === limits?.maxEntries,
    )}`,
  ])
  printTable(
    title,
    [
      'phase',
      'result',
      'heap growth after GC',
      'cache: positive / negative / touched',
      'target met?',
    ],
    rows,
  )
  printNote(
    `Heap after two forced GCs, before and after each phase (MemoryKeyStore records of phase C ` +
      `are added before its baseline). Verifications run ${BATCH} at a time.`,
  )
}

await main()
