/**
 * Rows for the scale section, generated in batches: most are fillers (random digest, id and
 * owner, in the same shape as a real record), every `stride`-th is a real key (a probe) whose
 * plaintext the bench keeps, so probes are spread evenly over the whole table.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { formatKeyPrefix, generateApiKey, hashApiKey } from '../../src/index.js'

/** What each store keeps of a key (dates: `createdAt` only; expiry, use, revocation: none). */
export interface ScaleRow {
  id: string
  userId: string
  name: string
  keyPrefix: string
  hash: string
}

/** A key present in the store: its plaintext, the id verification must return, its digest. */
export interface Probe {
  key: string
  id: string
  hash: string
}

/** Scopes of every row, as in the HTTP sections. */
export { GRANTED, REQUIRED } from '../http/keys.js'

/** `createdAt` of every row. */
export const CREATED_AT = new Date()

/**
 * `total` rows in batches of `batch`, with `probes` real keys among them (every row when
 * `probes >= total`), spread at an even stride.
 */
export function* rowBatches(
  total: number,
  batch: number,
  probes: number,
): Generator<{ rows: ScaleRow[]; probes: Probe[] }> {
  const stride = Math.max(1, Math.floor(total / probes))
  for (let start = 0; start < total; start += batch) {
    const count = Math.min(batch, total - start)
    const random = randomBytes(32 * count).toString('hex')
    const rows: ScaleRow[] = []
    const found: Probe[] = []
    for (let j = 0; j < count; j++) {
      const i = start + j
      const userId = `scale_${i}`
      if (i % stride === 0) {
        const key = generateApiKey(userId)
        const id = randomUUID()
        const hash = hashApiKey(key)
        rows.push({ id, userId, name: `bench ${i}`, keyPrefix: formatKeyPrefix(key), hash })
        found.push({ key, id, hash })
      } else {
        const hash = random.slice(j * 64, j * 64 + 64)
        rows.push({
          id: randomUUID(),
          userId,
          name: `bench ${i}`,
          keyPrefix: `vydra_live_user_${userId}_${hash.slice(0, 4)}...`,
          hash,
        })
      }
    }
    yield { rows, probes: found }
  }
}
