/**
 * `vydra-auth`: the command line of `@vydra/auth`. `run` takes the arguments and the streams and
 * resolves to the exit code; it never throws and never exits the process itself.
 * @module
 */
import { type ApiKeyAuth, type AuditStore, createApiKeyAuth } from '../../src/index.js'
import { type CliArgs, parseCli } from './args.js'
import { doctor } from './commands/doctor.js'
import { keys } from './commands/keys.js'
import { pattern } from './commands/pattern.js'
import { type CliConfig, loadConfig } from './config.js'
import { CliError, EXIT, type ExitCode, toCliError } from './errors.js'
import { openStore, type OpenStore } from './open-store.js'
import { type CliIo, painter } from './output.js'
import { USAGE } from './usage.js'

export type { CliIo } from './output.js'
export { EXIT } from './errors.js'

/** What a command receives. */
export interface CommandContext {
  args: CliArgs
  io: CliIo
  opened: OpenStore
  /** The key rules of `--config` (the scope registry, the cap…); empty without a config. */
  rules: CliConfig
  /** The service on the opened store, with the pepper from the environment. */
  auth(): ApiKeyAuth
}

/** Runs one command line; resolves to its exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let args: CliArgs | undefined
  let opened: OpenStore | undefined
  try {
    args = parseCli(argv, io.env)
    if (args.help || args.command.length === 0) {
      ;(args.help ? io.stdout : io.stderr).write(USAGE)
      return args.help ? EXIT.ok : EXIT.usage
    }
    // The config's prefix and environment fill what neither a flag nor the environment set.
    const rules =
      args.config === undefined ? {} : await loadConfig(args.config, io.cwd ?? process.cwd())
    args = {
      ...args,
      prefix: args.prefix ?? rules.prefix,
      environment: args.environment ?? rules.environment,
    }
    const [group] = args.command
    if (group === 'pattern') {
      if (args.command.length > 1)
        throw new CliError(EXIT.usage, 'pattern takes no argument', 'USAGE')
      return pattern(args, io)
    }
    if (group !== 'keys' && group !== 'migrate' && group !== 'doctor') {
      throw new CliError(
        EXIT.usage,
        `Unknown command ${JSON.stringify(group)}`,
        'USAGE',
        'Run vydra-auth --help.',
      )
    }
    if (args.store === undefined) {
      throw new CliError(
        EXIT.usage,
        'No store: pass --store <url> or set VYDRA_AUTH_STORE',
        'USAGE',
      )
    }
    const current = args
    opened = await withDeadline(
      openStore(current.store as string, {
        timeoutMs: current.timeoutMs,
        create: group === 'migrate',
      }),
      current.timeoutMs,
    )
    const store = opened
    const context: CommandContext = {
      args: current,
      io,
      opened: store,
      rules,
      auth: () => service(current, rules, store, io),
    }
    const work =
      group === 'keys' ? keys(context) : group === 'doctor' ? doctor(context) : migrate(context)
    // Every store call is bounded by the service; this bounds what is not (a hung connect).
    return await withDeadline(work, current.timeoutMs * 3 + 1_000)
  } catch (error) {
    report(toCliError(error), io, args?.json ?? argv.includes('--json'))
    return toCliError(error).exitCode
  } finally {
    if (opened !== undefined) await withDeadline(opened.close(), 2_000).catch(() => {})
  }
}

async function migrate({ opened, io, args }: CommandContext): Promise<ExitCode> {
  const message = await opened.migrate()
  if (args.json) io.stdout.write(`${JSON.stringify({ ok: true, store: opened.kind, message })}\n`)
  else io.stdout.write(`${opened.kind}: ${message}\n`)
  return EXIT.ok
}

function service(args: CliArgs, rules: CliConfig, opened: OpenStore, io: CliIo): ApiKeyAuth {
  const pepper = io.env.VYDRA_AUTH_PEPPER
  const warn = (message: string): void => io.stderr.write(`warning: ${message}\n`)
  return createApiKeyAuth({
    // The application's key rules: `keys create` refuses what its routes would refuse.
    ...rules,
    store: opened.store,
    // PostgreSQL and SQLite keep the audit log in the key change's transaction (docs/audit-log.md):
    // the CLI's changes are recorded like the application's.
    ...(isAuditStore(opened.store) ? { auditStore: opened.store } : {}),
    pepper: pepper === undefined || pepper === '' ? null : pepper,
    ...(args.prefix === undefined ? {} : { prefix: args.prefix }),
    ...(args.environment === undefined ? {} : { environment: args.environment }),
    storeTimeoutMs: args.timeoutMs,
    // One command, one look at the store: nothing to cache.
    cache: false,
    logger: { warn, error: warn },
  })
}

function isAuditStore(store: object): store is AuditStore {
  const candidate = store as Partial<AuditStore>
  return typeof candidate.appendAudit === 'function' && typeof candidate.listAudit === 'function'
}

function report(error: CliError, io: CliIo, json: boolean): void {
  if (json) {
    const body = {
      error: {
        code: error.code,
        message: error.message,
        ...(error.hint ? { hint: error.hint } : {}),
        ...(error.issues?.length ? { issues: error.issues } : {}),
      },
    }
    io.stderr.write(`${JSON.stringify(body)}\n`)
    return
  }
  const paint = painter(io.stderr, io.env)
  io.stderr.write(`${paint('red', 'error:')} ${error.message}\n`)
  if (error.hint !== undefined) io.stderr.write(`${error.hint}\n`)
}

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new CliError(
            EXIT.unavailable,
            `The store did not answer within ${ms} ms`,
            'TIMEOUT',
            'Check the store URL and that the server runs.',
          ),
        ),
      ms,
    )
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}
