/**
 * Validation of key metadata: a JSON object of at most 8 KiB serialized, nested at most 5 deep,
 * with no prototype keys. Internal: not exported from the package.
 * @module
 */
import { z } from 'zod'
import type { KeyMetadata } from '../types.js'

/** Largest serialized metadata, in UTF-8 bytes. */
export const MAX_METADATA_BYTES = 8 * 1024
/** Deepest nesting: the metadata object itself is level 1. */
export const MAX_METADATA_DEPTH = 5

// Keys that would reach or replace a prototype when the object is merged or read naively.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

// What is wrong with `value` at `depth`, or `undefined` when it is JSON within the limits.
function problem(value: unknown, depth: number): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined
  if (typeof value === 'number')
    return Number.isFinite(value) ? undefined : 'numbers must be finite'
  if (depth > MAX_METADATA_DEPTH) return `must not nest deeper than ${MAX_METADATA_DEPTH} levels`
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = problem(item, depth + 1)
      if (found !== undefined) return found
    }
    return undefined
  }
  if (!isPlainObject(value)) return 'must hold only JSON values (no functions, dates or classes)'
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key !== 'string') return 'must not have symbol keys'
    if (FORBIDDEN_KEYS.has(key)) return `must not have a "${key}" key`
    const found = problem(value[key], depth + 1)
    if (found !== undefined) return found
  }
  return undefined
}

/** The reason `value` is not valid metadata, or `undefined` when it is. */
export function metadataProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return 'must be a JSON object'
  const found = problem(value, 1)
  if (found !== undefined) return found
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8')
  return bytes > MAX_METADATA_BYTES
    ? `must be at most ${MAX_METADATA_BYTES} bytes as JSON`
    : undefined
}

/** The zod schema of metadata (a refinement, so the issue names the field and the reason). */
export const metadataSchema: z.ZodType<KeyMetadata> = z
  .custom<KeyMetadata>()
  .superRefine((value, ctx) => {
    const found = metadataProblem(value)
    if (found !== undefined) ctx.addIssue({ code: 'custom', message: found })
  })

/** A detached copy of valid metadata (nothing the caller keeps can change what is stored). */
export function copyMetadata(value: KeyMetadata): KeyMetadata {
  return JSON.parse(JSON.stringify(value)) as KeyMetadata
}
