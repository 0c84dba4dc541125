/** Captures every log line the library writes. */
import { inspect } from 'node:util'
import type { AuthLogger } from '../../src/index.js'

export interface LogLine {
  level: 'warn' | 'error' | 'info' | 'debug'
  message: string
  context: Record<string, unknown> | undefined
}

export interface LogSink {
  logger: AuthLogger
  lines: LogLine[]
  /** Every line rendered as text, context included, for leak scans. */
  text(): string
  count(level?: LogLine['level']): number
}

const SINKS = Symbol.for('vydra.test.logSinks')

/**
 * The line arrays of every sink created in this test file: the log scan of test/support/log-scan.ts
 * reads them after each test, so every line any sink captured is checked for secrets.
 */
export function allSinkLines(): Set<LogLine[]> {
  const holder = globalThis as { [SINKS]?: Set<LogLine[]> }
  holder[SINKS] ??= new Set()
  return holder[SINKS]
}

/**
 * Creates a {@link LogSink}. Its logger has only `warn` and `error` (the 0.1 interface) unless
 * `levels` adds the optional `info` and `debug`.
 */
export function createLogSink(levels: readonly ('info' | 'debug')[] = []): LogSink {
  const lines: LogLine[] = []
  allSinkLines().add(lines)
  const logger: AuthLogger = {
    warn: (message, context) => void lines.push({ level: 'warn', message, context }),
    error: (message, context) => void lines.push({ level: 'error', message, context }),
  }
  for (const level of levels) {
    logger[level] = (message, context) => void lines.push({ level, message, context })
  }
  return {
    lines,
    logger,
    text: () =>
      lines
        .map(
          (l) => `${l.level} ${l.message} ${inspect(l.context, { depth: 10, showHidden: true })}`,
        )
        .join('\n'),
    count: (level) => lines.filter((l) => level === undefined || l.level === level).length,
  }
}
