/**
 * The `pepper` option in its rotating form: a current pepper and previous ones, each with an id
 * that new digests carry (`p2$<hex>`). Types, schema and resolution; the digests themselves are
 * made in `service/digest-scheme.ts`.
 * @module
 */
import { z } from 'zod'
import { MIN_SECRET_BYTES, secretBytes, secretSchema } from '../lib/secret-strength.js'

/** One pepper of a {@link PepperRing}. */
export interface PepperVersion {
  /** Its id, carried by every digest made with it: `[a-z][a-z0-9_-]{0,31}`, e.g. `p2`. */
  id: string
  /** The secret: at least 32 bytes with at least 10 distinct bytes. */
  secret: string | Uint8Array
}

/** A pepper that was current before; `secret: null` stands for "no pepper" (plain SHA-256). */
export interface PreviousPepperVersion {
  /** Its id: `[a-z][a-z0-9_-]{0,31}`. */
  id: string
  /** The secret, or `null` for digests made without a pepper. */
  secret: string | Uint8Array | null
}

/** The pepper new digests use; without an id its digests are unversioned, as in 0.1. */
export interface CurrentPepperVersion {
  /** Its id, carried by every new digest; omitted: digests without an id (the 0.1 form). */
  id?: string
  /** The secret: at least 32 bytes with at least 10 distinct bytes. */
  secret: string | Uint8Array
}

/**
 * Peppers during a rotation (docs/operations.md, "Pepper rotation"). New digests use `current`
 * and carry its id; verification also finds keys stored under `next` (the pepper the fleet is
 * switching to: accepted, never written), under a `previous` pepper (newest first) and under an
 * unversioned 0.1 digest made with the oldest pepper listed, and re-keys those found under a
 * previous or older pepper to `current` on use.
 */
export interface PepperRing {
  /** The pepper new digests use. */
  current: CurrentPepperVersion
  /** The pepper a rolling deploy is switching to: accepted by lookups, never written. */
  next?: PepperVersion
  /** Peppers still accepted, newest first. @defaultValue `[]` */
  previous?: readonly PreviousPepperVersion[]
}

/** A pepper version, copied, as the service keeps it. @internal */
export interface ResolvedPepper {
  id: string
  /** `undefined` for "no pepper". */
  secret: Uint8Array | undefined
}

/** The resolved ring; `current.id` is `undefined` for unversioned writes. @internal */
export interface ResolvedPepperRing {
  current: { id: string | undefined; secret: Uint8Array }
  next: ResolvedPepper | undefined
  previous: readonly ResolvedPepper[]
}

const PEPPER_ID = /^[a-z][a-z0-9_-]{0,31}$/
const MAX_PREVIOUS = 8

const idSchema = z.string().regex(PEPPER_ID, 'must match [a-z][a-z0-9_-]{0,31}')

/** Schema of the ring form of `pepper`. @internal */
export const pepperRingSchema: z.ZodType<PepperRing> = z
  .object({
    current: z.object({ id: idSchema.optional(), secret: secretSchema(MIN_SECRET_BYTES) }).strict(),
    next: z
      .object({ id: idSchema, secret: secretSchema(MIN_SECRET_BYTES) })
      .strict()
      .optional(),
    previous: z
      .array(z.object({ id: idSchema, secret: secretSchema(MIN_SECRET_BYTES).nullable() }).strict())
      .max(MAX_PREVIOUS)
      .optional(),
  })
  .strict()
  .superRefine((ring, ctx) => {
    const ids = [ring.current.id, ring.next?.id, ...(ring.previous ?? []).map((p) => p.id)].filter(
      (id) => id !== undefined,
    )
    if (new Set(ids).size !== ids.length) {
      ctx.addIssue({ code: 'custom', message: 'pepper ids must be distinct' })
    }
  })

/** True when `value` is the ring form (an object with `current`), not a plain pepper. @internal */
export function isPepperRing(value: unknown): value is PepperRing {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array)
}

/** Copies a validated ring, so later changes to the caller's object change nothing. @internal */
export function copyPepperRing(ring: PepperRing): ResolvedPepperRing {
  const copy = (secret: string | Uint8Array | null): Uint8Array | undefined =>
    secret === null ? undefined : secretBytes(secret).slice()
  return {
    current: { id: ring.current.id, secret: copy(ring.current.secret) as Uint8Array },
    next:
      ring.next === undefined ? undefined : { id: ring.next.id, secret: copy(ring.next.secret) },
    previous: (ring.previous ?? []).map((p) => ({ id: p.id, secret: copy(p.secret) })),
  }
}
