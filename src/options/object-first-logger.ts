/**
 * pino (and loggers like it) take the context object first: `log.warn({ keyId }, 'message')`.
 * Called the library's way (`warn(message, context)`), pino would print the message and drop the
 * context. Recognised here and called its own way. Internal: not exported from the package.
 * @module
 */
import type { AuthLogger } from './types.js'

type Level = 'warn' | 'error' | 'info' | 'debug'
type ObjectFirst = Record<Level, (context: Record<string, unknown>, message: string) => void>

/** Whether `logger` is a pino logger (`child`, `bindings` and a `levels` table). */
export function isObjectFirstLogger(logger: object): boolean {
  try {
    const l = logger as Record<string, unknown>
    return (
      typeof l.child === 'function' &&
      typeof l.bindings === 'function' &&
      typeof l.levels === 'object' &&
      l.levels !== null
    )
  } catch {
    // A hostile getter: not pino.
    return false
  }
}

/** The library's logger interface over an object-first logger. */
export function fromObjectFirst(logger: AuthLogger): AuthLogger {
  const target = logger as unknown as ObjectFirst
  const level =
    (name: Level) =>
    (message: string, context?: Record<string, unknown>): void =>
      target[name](context ?? {}, message)
  return { warn: level('warn'), error: level('error'), info: level('info'), debug: level('debug') }
}
