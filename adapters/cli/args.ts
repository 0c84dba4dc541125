/** The command line, parsed with `node:util` `parseArgs`. */
import { parseArgs } from 'node:util'
import { CliError, EXIT } from './errors.js'

/** The parsed command line. */
export interface CliArgs {
  command: string[]
  store?: string
  user?: string
  name?: string
  scopes?: string[]
  expiresInDays?: number
  graceSeconds?: number
  environment?: string
  prefix?: string
  /** `--config` or `VYDRA_AUTH_CONFIG`: the application's key rules (`./config.ts`). */
  config?: string
  timeoutMs: number
  json: boolean
  help: boolean
}

const OPTIONS = {
  store: { type: 'string' },
  user: { type: 'string' },
  name: { type: 'string' },
  scopes: { type: 'string', multiple: true },
  'expires-in-days': { type: 'string' },
  'grace-seconds': { type: 'string' },
  environment: { type: 'string' },
  prefix: { type: 'string' },
  config: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const

/** Parses `argv` (without `node` and the script); environment variables fill the gaps. */
export function parseCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliArgs {
  if (argv.some((arg) => arg === '--pepper' || arg.startsWith('--pepper='))) {
    throw new CliError(
      EXIT.usage,
      'There is no --pepper flag: set VYDRA_AUTH_PEPPER in the environment (a flag would land in shell history)',
      'USAGE',
    )
  }
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    throw new CliError(EXIT.usage, (error as Error).message, 'USAGE', 'Run vydra-auth --help.')
  }
  const { values, positionals } = parsed
  return {
    command: positionals,
    store: values.store ?? env.VYDRA_AUTH_STORE,
    user: values.user,
    name: values.name,
    scopes: values.scopes?.flatMap((s) => s.split(/[\s,]+/)).filter((s) => s !== ''),
    expiresInDays: integer(values['expires-in-days'], '--expires-in-days'),
    graceSeconds: integer(values['grace-seconds'], '--grace-seconds'),
    environment: values.environment ?? env.VYDRA_AUTH_ENVIRONMENT,
    prefix: values.prefix ?? env.VYDRA_AUTH_PREFIX,
    config: values.config ?? (env.VYDRA_AUTH_CONFIG || undefined),
    timeoutMs: integer(values.timeout, '--timeout') ?? 5_000,
    json: values.json,
    help: values.help,
  }
}

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d{1,9}$/.test(value)) {
    throw new CliError(
      EXIT.usage,
      `${flag} takes a whole number, got ${JSON.stringify(value)}`,
      'USAGE',
    )
  }
  return Number(value)
}
