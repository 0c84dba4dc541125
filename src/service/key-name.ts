/**
 * The grammar of a key's name, shared by creation and update. Internal.
 * @module
 */
import { z } from 'zod'

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

/** True when `text` holds a control or line-separator character. */
export const hasControlChars = (text: string): boolean => CONTROL_CHARS.test(text)

/** A key's name: 1–100 characters, not blank, no control characters. */
export const KEY_NAME_SCHEMA = z
  .string()
  .min(1)
  .max(100)
  .refine((name) => name.trim().length > 0, 'must not be blank')
  .refine((name) => !hasControlChars(name), 'must not contain control characters')

/** A revocation reason: `'user'`, `'leaked'`, `'rotated'`, `'admin'` or any text of 1–200 characters. */
export const REVOKE_REASON_SCHEMA = z
  .string()
  .min(1)
  .max(200)
  .refine((reason) => !hasControlChars(reason), 'must not contain control characters')
