/**
 * The targets of issue 10, measured in several sections (each its own process) and printed
 * together at the end by bench/index.ts: each section appends its results to the JSON-lines
 * file named by `VYDRA_BENCH_TARGETS`.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs'

export const TARGETS_ENV = 'VYDRA_BENCH_TARGETS'

/** Every target, in the order of the final table, with the section that measures it. */
export const TARGETS = [
  {
    id: 'core-hit',
    section: 'core',
    target: 'cache hit ≥ 0.9× the checksum reference (in process)',
  },
  {
    id: 'express',
    section: 'http',
    target: 'Express 5 + requireApiKey ≥ 0.97× hand-written middleware',
  },
  { id: 'fastify', section: 'http', target: 'Fastify 5 + requireApiKey ≥ 0.97× hand-written hook' },
  { id: 'koa', section: 'http', target: 'Koa 3 + requireApiKey ≥ 0.97× hand-written middleware' },
  {
    id: 'bearer-auth',
    section: 'http',
    target: 'Fastify 5: ≥ 3.3× @fastify/bearer-auth (1,000 keys)',
  },
  {
    id: 'passport',
    section: 'http',
    target: 'Express 5: ≥ 1.3× passport-http-bearer (1,000 keys)',
  },
  {
    id: 'scale-postgres',
    section: 'scale',
    target: 'PostgreSQL: cache-miss cost at the largest size ≤ 1.5× at 10³ keys',
  },
  {
    id: 'scale-redis',
    section: 'scale',
    target: 'Redis: cache-miss cost at the largest size ≤ 1.5× at 10³ keys',
  },
  {
    id: 'scale-sqlite',
    section: 'scale',
    target: 'SQLite: cache-miss cost at the largest size ≤ 1.5× at 10³ keys',
  },
  {
    id: 'hono',
    section: 'hono',
    target: 'Hono on Node + @vydra/auth/hono ≥ 0.97× hand-written middleware (issue 15)',
  },
  {
    id: 'hono-bearer-auth',
    section: 'hono',
    target: 'Hono on Node: ≥ 1.0× hono/bearer-auth (1,000 keys; issue 15)',
  },
] as const

export type TargetId = (typeof TARGETS)[number]['id']

export interface TargetResult {
  id: TargetId
  /** What was measured, e.g. `0.98× (0.95–1.01)`. */
  measured: string
  /** `undefined`: measured but not valid (the note says why). */
  met: boolean | undefined
  note?: string
}

/** Records one result for the final table (no-op when the section runs on its own). */
export function recordTarget(result: TargetResult): void {
  const file = process.env[TARGETS_ENV]
  if (file !== undefined) appendFileSync(file, `${JSON.stringify(result)}\n`)
}

/** Results recorded in `file`, the last one per target. */
export function readTargets(file: string): Map<TargetId, TargetResult> {
  const out = new Map<TargetId, TargetResult>()
  if (!existsSync(file)) return out
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue
    const result = JSON.parse(line) as TargetResult
    out.set(result.id, result)
  }
  return out
}
