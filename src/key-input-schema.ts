/**
 * The input of creating a key, as zod schemas: one definition that `createKey` validates with
 * (through the key manager, which adds the owner and the scope registry) and that the OpenAPI
 * document of the key routes is generated from, so the two cannot drift.
 * @module
 */
import { z } from 'zod'
import { validateScope } from './scope.js'

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

/** Longest key name, in UTF-16 code units. */
export const MAX_KEY_NAME_LENGTH = 100
/** Most scopes one key may be granted. */
export const MAX_KEY_SCOPES = 50

/** What {@link createKeyBodySchema} needs from the service. */
export interface KeyBodyLimits {
  /** Longest allowed `expiresInDays`. */
  maxExpiresInDays: number
  /**
   * The granted scopes the instance's registry does not list; absent when only the grammar
   * is checked (the OpenAPI document, which cannot express a registry check).
   */
  unknownScopes?: (scopes: readonly string[]) => string[]
}

/** The fields of {@link createKeyBodySchema}. */
export interface KeyBodyShape extends z.core.$ZodLooseShape {
  name: z.ZodString
  scopes: z.ZodOptional<z.ZodArray<z.ZodString>>
  expiresInDays: z.ZodOptional<z.ZodNumber>
}

/** The body of `POST <basePath>` (and the input of `createKey` without its owner). */
export function createKeyBodySchema(limits: KeyBodyLimits): z.ZodObject<KeyBodyShape> {
  const { unknownScopes } = limits
  const scope = z.string().refine(validateScope, 'not a valid scope')
  let scopes = z.array(scope).min(1).max(MAX_KEY_SCOPES)
  if (unknownScopes !== undefined) {
    scopes = scopes.superRefine((granted, ctx) => {
      // Naming it is safe: it is the caller's own input, and it tells them what to fix.
      const unknown = unknownScopes(granted)
      if (unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `not in the scope registry: ${unknown.map((s) => JSON.stringify(s)).join(', ')}`,
        })
      }
    })
  }
  return z.object({
    name: z
      .string()
      .min(1)
      .max(MAX_KEY_NAME_LENGTH)
      .refine((name) => name.trim().length > 0, 'must not be blank')
      .refine((name) => !CONTROL_CHARS.test(name), 'must not contain control characters')
      .meta({
        description: 'A name for people: 1–100 characters, not blank, no control characters.',
      }),
    scopes: scopes.optional().meta({
      description: 'Scopes to grant (`resource:action`, `resource:*` or `*`). Default `["*"]`.',
    }),
    expiresInDays: z
      .number()
      .int()
      .positive()
      .max(limits.maxExpiresInDays)
      .optional()
      .meta({ description: 'Days until the key expires; omitted for a key that never expires.' }),
  })
}
