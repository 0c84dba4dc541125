/**
 * What no log line may hold: API keys, key secrets, SHA-256/HMAC hex digests, JWTs, and the
 * peppers and session secrets the tests configure. Used by the log scan every test file runs
 * (test/support/log-scan.ts) and testable on its own.
 */
import { inspect } from 'node:util'
import { allSinkLines, type LogLine } from './log-sink.js'

/** One thing found in a text. */
export interface Finding {
  kind: string
  /** The match, cut to its first 12 characters so that a failure report does not spread it. */
  excerpt: string
}

const REGISTRY = Symbol.for('vydra.test.secrets')

interface SecretRegistry {
  /** Literal secrets (peppers, session secrets) configured by the current test file. */
  literals: Set<string>
  /** Key secrets issued in the current test file: every 8-character piece is scanned for. */
  pieces: Set<string>
}

function registry(): SecretRegistry {
  const holder = globalThis as { [REGISTRY]?: SecretRegistry }
  holder[REGISTRY] ??= { literals: new Set(), pieces: new Set() }
  return holder[REGISTRY]
}

// <prefix>_<environment>_user_<userId>_<32 random + 6 checksum base62>
const API_KEY = /[a-z][a-z0-9]{0,31}_[a-z][a-z0-9]{0,31}_user_[A-Za-z0-9_-]{1,64}_[0-9A-Za-z]{38}/
// Three base64url segments, the first a JSON object ("{" encodes as "eyJ").
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/
// A SHA-256 or HMAC-SHA256 digest in hex, standing alone.
const HEX_DIGEST = /(?<![0-9A-Za-z])[0-9a-fA-F]{64}(?![0-9A-Za-z])/
// A long run of base62 with letters and digits: a key secret (38), a digest (64), a JWT
// segment. Repeated filler such as 'u'.repeat(64) has no digit and does not count.
const BASE62_RUN = /[0-9A-Za-z]{32,}/g

/** Registers a literal secret (a pepper, a session secret) for the rest of this test file. */
export function registerSecret(value: unknown): void {
  if (typeof value === 'string' && value.length >= 8) registry().literals.add(value)
}

/** Forgets a literal registered with {@link registerSecret}. */
export function unregisterSecret(value: string): void {
  registry().literals.delete(value)
}

/** Forgets every registered secret and key (each test file starts afresh). */
export function resetSecrets(): void {
  registry().literals.clear()
  registry().pieces.clear()
}

/** Registers an issued key: its secret's every 8-character piece is scanned for. */
export function registerKey(key: string): void {
  const secret = key.slice(-38)
  for (let i = 0; i + 8 <= secret.length; i++) registry().pieces.add(secret.slice(i, i + 8))
}

const cut = (text: string): string => `${text.slice(0, 12)}…`

/** Everything secret-looking in `text`. */
export function findSecrets(text: string): Finding[] {
  const found: Finding[] = []
  for (const [kind, pattern] of [
    ['API key', API_KEY],
    ['JWT', JWT],
    ['hex digest', HEX_DIGEST],
  ] as const) {
    const match = pattern.exec(text)
    if (match !== null) found.push({ kind, excerpt: cut(match[0]) })
  }
  for (const match of text.matchAll(BASE62_RUN)) {
    if (/[0-9]/.test(match[0]) && /[A-Za-z]/.test(match[0])) {
      found.push({ kind: 'secret-like base62 run', excerpt: cut(match[0]) })
      break
    }
  }
  const { literals, pieces } = registry()
  for (const literal of literals) {
    if (text.includes(literal)) found.push({ kind: 'configured secret', excerpt: cut(literal) })
  }
  for (const piece of pieces) {
    if (text.includes(piece)) {
      found.push({ kind: 'piece of an issued key secret', excerpt: cut(piece) })
      break
    }
  }
  return found
}

/** Renders log arguments (messages, context objects, errors with causes) as searchable text. */
export function renderLogArguments(args: readonly unknown[]): string {
  return args
    .map((arg) => {
      if (typeof arg === 'string') return arg
      let json = ''
      try {
        json = JSON.stringify(arg) ?? ''
      } catch {
        json = ''
      }
      return `${json} ${inspect(arg, { depth: 10, showHidden: true, maxStringLength: null })}`
    })
    .join(' ')
}

interface Captured {
  source: string
  text: string
}

const CONSOLE = Symbol.for('vydra.test.consoleLines')

function consoleLines(): Captured[] {
  const holder = globalThis as { [CONSOLE]?: Captured[] }
  holder[CONSOLE] ??= []
  return holder[CONSOLE]
}

/**
 * Wraps console.warn and console.error (what the default logger writes with) so that every call
 * is captured for {@link collectLogFindings}; installed once per worker, idempotent.
 */
export function captureConsole(): void {
  const marker = Symbol.for('vydra.test.consoleWrapped')
  const target = console as unknown as Record<symbol, boolean | undefined>
  if (target[marker] === true) return
  target[marker] = true
  for (const level of ['warn', 'error'] as const) {
    const original = console[level].bind(console)
    console[level] = (...args: unknown[]) => {
      consoleLines().push({ source: `console.${level}`, text: renderLogArguments(args) })
      original(...args)
    }
  }
}

// How many lines of each sink were scanned, kept on the array itself: this module may be
// evaluated again (the mutation run re-imports modules per file) while the sinks live on.
const SCANNED = Symbol.for('vydra.test.scannedLines')
type ScannedSink = LogLine[] & { [SCANNED]?: number }

/** Starts a test file afresh: forgets earlier files' sinks and unread console lines. */
export function resetLogCapture(): void {
  allSinkLines().clear()
  consoleLines().length = 0
}

/**
 * The secrets in every line written since the last call: console.warn/error output and the
 * lines of every `createLogSink()` sink. Each line is reported once.
 */
export function collectLogFindings(): string[] {
  const lines = consoleLines().splice(0)
  for (const sink of allSinkLines() as Set<ScannedSink>) {
    let from = sink[SCANNED] ?? 0
    if (from > sink.length) from = 0 // a test emptied its sink
    for (const line of sink.slice(from)) {
      lines.push({
        source: `log sink ${line.level}`,
        text: renderLogArguments([line.message, line.context]),
      })
    }
    sink[SCANNED] = sink.length
  }
  return lines.flatMap((line) =>
    findSecrets(line.text).map((f) => `${line.source}: ${f.kind} (${f.excerpt})`),
  )
}
