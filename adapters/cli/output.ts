/**
 * What the CLI prints: tables and messages for people, JSON for scripts. Colours only when the
 * stream is a terminal and `NO_COLOR` is unset. Nothing here ever receives a secret except
 * {@link printCreated}, the one place the new key is shown.
 * @module
 */
import type { ApiKeyInfo, CreatedApiKey } from '../../src/index.js'

/** Where output goes. */
export interface Out {
  write(text: string): void
  /** Whether the stream is a terminal (colours). */
  isTTY?: boolean
}

/** The streams and environment of one run. */
export interface CliIo {
  stdout: Out
  stderr: Out
  env: Readonly<Record<string, string | undefined>>
  /** The directory a relative `--config` is resolved against (default: the process's). */
  cwd?: string
}

type Colour = 'red' | 'green' | 'yellow' | 'dim' | 'bold'
const CODES: Record<Colour, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  dim: [2, 22],
  bold: [1, 22],
}

/** A painter for `stream`: the identity unless it is a terminal and `NO_COLOR` is unset. */
export function painter(stream: Out, env: CliIo['env']): (colour: Colour, text: string) => string {
  const on = stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb'
  return (colour, text) =>
    on ? `\u001b[${CODES[colour][0]}m${text}\u001b[${CODES[colour][1]}m` : text
}

/** A created key's JSON: the same fields as the HTTP routes' `CreatedApiKey`. */
export function createdJson(created: CreatedApiKey): Record<string, unknown> {
  const { apiKey } = created
  return {
    id: created.id,
    key: created.key,
    keyPrefix: created.keyPrefix,
    message: created.message,
    name: apiKey.name,
    scopes: apiKey.scopes,
    createdAt: apiKey.createdAt.toISOString(),
    expiresAt: apiKey.expiresAt?.toISOString() ?? null,
  }
}

/** `active`, `revoked`, `disabled` or `expired` at `now`. */
export function statusOf(
  info: ApiKeyInfo,
  now: number,
): 'active' | 'revoked' | 'expired' | 'disabled' {
  if (info.revokedAt !== null) return 'revoked'
  if (info.disabledAt !== null && info.disabledAt !== undefined) return 'disabled'
  if (info.expiresAt !== null && info.expiresAt.getTime() <= now) return 'expired'
  return 'active'
}

const when = (date: Date | null): string =>
  date === null ? '-' : `${date.toISOString().slice(0, 16).replace('T', ' ')}Z`

/** Keys as an aligned table (one row per key). */
export function keyTable(keys: readonly ApiKeyInfo[], io: CliIo, now: number): string {
  const paint = painter(io.stdout, io.env)
  const header = ['ID', 'NAME', 'PREFIX', 'SCOPES', 'CREATED', 'LAST USED', 'EXPIRES', 'STATUS']
  const rows = keys.map((k) => [
    k.id,
    k.name,
    k.keyPrefix,
    k.scopes.join(' '),
    when(k.createdAt),
    when(k.lastUsedAt),
    when(k.expiresAt),
    statusOf(k, now),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')
  const colourOf = {
    active: 'green',
    revoked: 'red',
    expired: 'yellow',
    disabled: 'yellow',
  } as const
  return [
    paint('bold', line(header)),
    ...rows.map((r) => {
      const status = r[7] as keyof typeof colourOf
      return line([...r.slice(0, 7), paint(colourOf[status], status)])
    }),
  ].join('\n')
}

/** The new key, shown once, with the same reminder as the API. */
export function printCreated(created: CreatedApiKey, io: CliIo): void {
  const paint = painter(io.stdout, io.env)
  io.stdout.write(
    [
      `Created key ${created.id} (${created.apiKey.name}) for ${created.apiKey.userId}`,
      `scopes: ${created.apiKey.scopes.join(' ')}   expires: ${when(created.apiKey.expiresAt)}`,
      '',
      `  ${paint('bold', created.key)}`,
      '',
      paint('yellow', created.message),
      '',
    ].join('\n'),
  )
}
