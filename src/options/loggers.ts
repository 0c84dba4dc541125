/**
 * The loggers behind the `logger` option: the console by default, nothing with `false`, and a
 * guard around the application's own. Internal: not exported from the package.
 * @module
 */
import { fromObjectFirst, isObjectFirstLogger } from './object-first-logger.js'
import type { AuthLogger } from './types.js'

/** Writes to the console, each line prefixed with the package name. */
export const consoleLogger: AuthLogger = {
  warn: (message, context) => console.warn(`[@vydra/auth] ${message}`, context ?? ''),
  error: (message, context) => console.error(`[@vydra/auth] ${message}`, context ?? ''),
  info: (message, context) => console.info(`[@vydra/auth] ${message}`, context ?? ''),
  debug: (message, context) => console.debug(`[@vydra/auth] ${message}`, context ?? ''),
}

/** Writes nowhere (`logger: false`). */
export const silentLogger: AuthLogger = { warn: () => {}, error: () => {} }

type LogMethod = (message: string, context?: Record<string, unknown>) => void

// A logger that throws must not turn a decision (or a 503) into a foreign exception. pino is
// called its own way (context first).
export function guardLogger(given: AuthLogger): AuthLogger {
  const logger = isObjectFirstLogger(given) ? fromObjectFirst(given) : given
  const guard =
    (level: keyof AuthLogger): LogMethod =>
    (message, context) => {
      try {
        logger[level]?.(message, context)
      } catch {
        // Nowhere left to report it.
      }
    }
  const guarded: AuthLogger = { warn: guard('warn'), error: guard('error') }
  // Optional levels stay absent when the logger lacks them, so callers can fall back.
  if (typeof logger.info === 'function') guarded.info = guard('info')
  if (typeof logger.debug === 'function') guarded.debug = guard('debug')
  return guarded
}
