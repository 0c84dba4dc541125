/**
 * A/B of SQLite settings and layouts for the store's lookup (`SELECT … WHERE hash = ?`), raw
 * better-sqlite3 on the scale section's files (10³ and 10⁶ keys, seeded once into
 * /tmp/vydra-sqlite-ab and kept), one read-only connection per setting, settings in random order
 * each round, p50 per round over the probes; the ratio is 10⁶ over 10³ per round. Not a bench
 * section: the numbers behind docs/benchmarks.md, "SQLite at 10⁶ keys: the page cache".
 *
 * `node --import tsx bench/scale/sqlite-lookup-ab.ts`; env: `ROUNDS` (4), `CONFIGS` (JSON: name →
 * list of pragmas, `file:<suffix>` for another file `scale_<size><suffix>.db` in the same folder,
 * `sql:<statement>` for another statement), `ALL=<n>` (probes drawn from every row instead of
 * the seeded 10,000 keys).
 */
import { existsSync, mkdirSync } from 'node:fs'
import Database from 'better-sqlite3'
import { seedSqlite } from './seed.js'

const DIR = process.env.DIR ?? '/tmp/vydra-sqlite-ab'
mkdirSync(DIR, { recursive: true })
const SIZES = [1000, 1_000_000]
const PROBES = Number(process.env.PROBES ?? 10_000)
const ROUNDS = Number(process.env.ROUNDS ?? 4)
const CONFIGS: Record<string, string[]> = JSON.parse(
  process.env.CONFIGS ??
    JSON.stringify({
      'cache 16,000 KiB': ['cache_size = -16000'],
      'cache 64 MiB': ['cache_size = -65536'],
      'cache 128 MiB': ['cache_size = -131072'],
      'cache 512 MiB': ['cache_size = -524288'],
      'mmap 1 GiB': ['mmap_size = 1073741824'],
    }),
)
const COLUMNS =
  'id, user_id, name, key_prefix, scopes, hash, created_at, expires_at, last_used_at, revoked_at'

const hashes = new Map<number, string[]>()
for (const size of SIZES) {
  const file = `${DIR}/scale_${size}.db`
  const hashFile = `${file}.hashes.json`
  if (!existsSync(hashFile)) {
    const seeded = await seedSqlite(DIR, size, PROBES)
    await seeded.close()
    const { writeFileSync } = await import('node:fs')
    writeFileSync(hashFile, JSON.stringify(seeded.probes.map((p) => p.hash)))
    console.error(
      `seeded ${size} in ${(seeded.seedMs / 1000).toFixed(1)} s, ${seeded.bytesPerKey.toFixed(0)} B/key`,
    )
  }
  const { readFileSync } = await import('node:fs')
  if (process.env.ALL !== undefined) {
    // Probes drawn at random from every row: the whole file is the working set.
    const db = new Database(file, { readonly: true })
    const n = Number(process.env.ALL)
    hashes.set(
      size,
      db
        .prepare(`SELECT hash FROM vydra_api_keys ORDER BY random() LIMIT ${n}`)
        .pluck()
        .all() as string[],
    )
    db.close()
  } else hashes.set(size, JSON.parse(readFileSync(hashFile, 'utf8')) as string[])
}

interface Subject {
  two: boolean
  name: string
  size: number
  find: Database.Statement
  db: Database.Database
  p50: number[]
  mean: number[]
}
const subjects: Subject[] = []
for (const [name, pragmas] of Object.entries(CONFIGS)) {
  for (const size of SIZES) {
    const variant = pragmas.find((p) => p.startsWith('file:'))?.slice(5) ?? ''
    const db = new Database(`${DIR}/scale_${size}${variant}.db`, { readonly: true })
    for (const p of pragmas) if (!p.startsWith('file:') && !p.startsWith('sql:')) db.pragma(p)
    const sql = pragmas.find((p) => p.startsWith('sql:'))?.slice(4)
    const find = db.prepare(sql ?? `SELECT ${COLUMNS} FROM "vydra_api_keys" WHERE hash = ?`)
    subjects.push({
      name,
      size,
      find,
      db,
      p50: [],
      mean: [],
      two: (sql ?? '').split('?').length === 3,
    })
  }
}
const shuffle = <T>(a: T[]): T[] => {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[a[i], a[j]] = [a[j] as T, a[i] as T]
  }
  return a
}
// Warm: every probe once (a statement with two parameters takes the digest twice).
for (const s of subjects) {
  for (const h of hashes.get(s.size) ?? []) {
    if (s.two) s.find.get(h, h)
    else s.find.get(h)
  }
}
for (let round = 0; round < ROUNDS; round++) {
  for (const s of shuffle([...subjects])) {
    const order = shuffle([...(hashes.get(s.size) ?? [])])
    const times = new Float64Array(order.length)
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < order.length; i++) {
      const a = process.hrtime.bigint()
      const hash = order[i] as string
      const row: unknown = s.two ? s.find.get(hash, hash) : s.find.get(hash)
      if (row === undefined) throw new Error('a probe was not found')
      times[i] = Number(process.hrtime.bigint() - a) / 1000
    }
    s.mean.push(Number(process.hrtime.bigint() - t0) / 1000 / order.length)
    times.sort()
    s.p50.push(times[times.length >> 1] as number)
  }
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1] as number
for (const name of Object.keys(CONFIGS)) {
  const small = subjects.find((s) => s.name === name && s.size === SIZES[0])!
  const big = subjects.find((s) => s.name === name && s.size === SIZES[1])!
  const ratios = big.p50.map((v, i) => v / (small.p50[i] as number)).sort((a, b) => a - b)
  const cacheKiB = Number(big.db.pragma('cache_size', { simple: true }))
  console.log(
    `${name.padEnd(14)} 10³ p50 ${med(small.p50).toFixed(2)} µs  10⁶ p50 ${med(big.p50).toFixed(2)} µs  ratio ${med(ratios).toFixed(2)}× (${ratios[0]!.toFixed(2)}–${ratios.at(-1)!.toFixed(2)})  mean ${med(small.mean).toFixed(2)} / ${med(big.mean).toFixed(2)} µs  cache_size ${cacheKiB}`,
  )
}
for (const s of subjects) s.db.close()
