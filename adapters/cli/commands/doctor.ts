/**
 * `vydra-auth doctor`: connects, checks the schema, the pepper, the revocation listener and the
 * round-trip latency, and says what is wrong and how to fix it. Exit 0 when all is well, 3 when
 * the store cannot be reached, 1 when a check fails.
 */
import { randomBytes } from 'node:crypto'
import { createApiKeyAuth, MemoryKeyStore } from '../../../src/index.js'
import { EXIT, type ExitCode, toCliError } from '../errors.js'
import type { CommandContext } from '../main.js'
import { painter } from '../output.js'

/** One check's outcome. */
interface Check {
  name: string
  ok: boolean
  detail: string
  fix?: string
}

/** Runs every check and prints them. */
export async function doctor(context: CommandContext): Promise<ExitCode> {
  const { io, args, opened } = context
  const checks: Check[] = []
  let reachable = true
  try {
    const samples: number[] = []
    for (let i = 0; i < 5; i++) {
      const started = performance.now()
      await opened.ping()
      samples.push(performance.now() - started)
    }
    samples.sort((a, b) => a - b)
    checks.push({
      name: 'connect',
      ok: true,
      detail: `${opened.kind} answers; round trip ${ms(samples[2])} (median of 5, max ${ms(samples[4])})`,
    })
  } catch (error) {
    reachable = false
    const failure = toCliError(error)
    checks.push({
      name: 'connect',
      ok: false,
      detail: failure.message,
      fix: failure.hint ?? 'Check the store URL.',
    })
  }
  if (reachable) {
    const schemaCheck = await schema(context)
    checks.push(schemaCheck)
    // The store's queries assume the current schema: on an older one they would only fail.
    if (schemaCheck.ok) checks.push(await lookup(context), await listener(context))
  }
  checks.push(pepper(io.env.VYDRA_AUTH_PEPPER))
  const ok = checks.every((c) => c.ok)
  if (args.json) {
    io.stdout.write(`${JSON.stringify({ ok, store: opened.kind, checks })}\n`)
  } else {
    const paint = painter(io.stdout, io.env)
    for (const c of checks) {
      io.stdout.write(
        `${c.ok ? paint('green', 'ok  ') : paint('red', 'FAIL')} ${c.name.padEnd(9)} ${c.detail}\n`,
      )
      if (c.fix !== undefined) io.stdout.write(`               fix: ${c.fix}\n`)
    }
  }
  if (!reachable) return EXIT.unavailable
  return ok ? EXIT.ok : EXIT.invalid
}

// A lookup of a digest no key has: the query verification runs, through the store's own code.
async function lookup({ opened }: CommandContext): Promise<Check> {
  try {
    const started = performance.now()
    await opened.store.findByHash(randomBytes(32).toString('hex'))
    return {
      name: 'lookup',
      ok: true,
      detail: `a key lookup takes ${ms(performance.now() - started)}`,
    }
  } catch (error) {
    const failure = toCliError(error)
    return {
      name: 'lookup',
      ok: false,
      detail: failure.message,
      fix: 'Run vydra-auth migrate with the same --store.',
    }
  }
}

async function schema({ opened }: CommandContext): Promise<Check> {
  try {
    const { problem, version } = await opened.checkSchema()
    const detail =
      version === undefined
        ? 'no schema to migrate; the server accepts the store'
        : `schema version ${version}; the table has every column the store uses`
    return problem === undefined
      ? { name: 'schema', ok: true, detail }
      : {
          name: 'schema',
          ok: false,
          detail: problem,
          fix: 'Run vydra-auth migrate with the same --store.',
        }
  } catch (error) {
    const failure = toCliError(error)
    // The Redis store's refusal of a non-durable server says what to change: show it.
    const detail =
      failure.code === 'CONFIGURATION_ERROR' ? failure.message : 'the schema could not be read'
    return {
      name: 'schema',
      ok: false,
      detail,
      fix: failure.hint ?? 'See the store guide (docs/stores.md).',
    }
  }
}

// A made-up revocation (a random digest no key has) sent on the store's channel must come back
// through `onRevoke` within the timeout: that is what tells other instances about revocations.
async function listener({ opened, args }: CommandContext): Promise<Check> {
  if (opened.kind === 'sqlite') {
    return {
      name: 'listener',
      ok: true,
      detail:
        'SQLite announces revocations within one process only; other processes see them when their cache entry expires',
    }
  }
  const probe = randomBytes(32).toString('hex')
  const started = performance.now()
  let unsubscribe: (() => void) | undefined
  try {
    const heard = await new Promise<boolean>((resolve) => {
      // The subscription goes live in the background: announce until it is heard.
      const again = setInterval(() => void opened.announce(probe).catch(() => {}), 100)
      const finish = (result: boolean): void => {
        clearInterval(again)
        clearTimeout(deadline)
        resolve(result)
      }
      const deadline = setTimeout(() => finish(false), args.timeoutMs)
      unsubscribe = opened.store.onRevoke?.((hash) => {
        if (hash === probe) finish(true)
      })
      void opened.announce(probe).catch(() => {})
    })
    return heard
      ? {
          name: 'listener',
          ok: true,
          detail: `revocations are heard; announce to hear ${ms(performance.now() - started)} (with subscribing)`,
        }
      : {
          name: 'listener',
          ok: false,
          detail: `a revocation announced on the store's channel was not heard within ${args.timeoutMs} ms`,
          fix: 'Check that the server allows LISTEN/NOTIFY (PostgreSQL; not through a transaction-mode pooler) or SUBSCRIBE (Redis).',
        }
  } finally {
    unsubscribe?.()
  }
}

function pepper(value: string | undefined): Check {
  if (value === undefined || value === '') {
    return {
      name: 'pepper',
      ok: true,
      detail:
        'VYDRA_AUTH_PEPPER is not set: keys are hashed with plain SHA-256 (it must match your application)',
    }
  }
  try {
    createApiKeyAuth({ store: new MemoryKeyStore(), pepper: value })
    return {
      name: 'pepper',
      ok: true,
      detail: 'VYDRA_AUTH_PEPPER is set and strong enough (it must match your application)',
    }
  } catch (error) {
    return {
      name: 'pepper',
      ok: false,
      detail: toCliError(error).message,
      fix: 'Use the same pepper as your application: at least 32 bytes.',
    }
  }
}

const ms = (value: number | undefined): string => `${(value ?? 0).toFixed(1)} ms`
