/** `vydra-auth keys create|list|show|revoke|…|events`: the service's key management, for one owner. */
import { type ApiKeyInfo, apiKeyToJson, type ManagementContext } from '../../../src/index.js'
import { CliError, EXIT, type ExitCode } from '../errors.js'
import type { CommandContext } from '../main.js'
import { createdJson, keyTable, printCreated } from '../output.js'

const SUBCOMMANDS = [
  'create',
  'list',
  'show',
  'revoke',
  'roll',
  'disable',
  'enable',
  'events',
] as const

// Who makes the CLI's changes, in events and the audit log.
const CLI: ManagementContext = { actor: { type: 'system', id: 'vydra-auth' } }

/** Runs `keys <subcommand>`. */
export async function keys(context: CommandContext): Promise<ExitCode> {
  const { args, io } = context
  const [, sub, id, ...extra] = args.command
  if (!SUBCOMMANDS.includes(sub as (typeof SUBCOMMANDS)[number])) {
    throw new CliError(
      EXIT.usage,
      `keys takes one of: ${SUBCOMMANDS.join(', ')}`,
      'USAGE',
      'Run vydra-auth --help.',
    )
  }
  const needsId = sub !== 'create' && sub !== 'list'
  if (extra.length > 0 || (needsId ? id === undefined : id !== undefined)) {
    throw new CliError(
      EXIT.usage,
      needsId ? `keys ${sub} takes one key id` : `keys ${sub} takes no argument`,
      'USAGE',
    )
  }
  if (args.user === undefined)
    throw new CliError(EXIT.usage, `keys ${sub} needs --user <id>`, 'USAGE')
  const userId = args.user
  const auth = context.auth()
  const print = (json: unknown, human: string): void =>
    io.stdout.write(args.json ? `${JSON.stringify(json)}\n` : `${human}\n`)
  const now = Date.now()

  if (sub === 'create') {
    if (args.name === undefined)
      throw new CliError(EXIT.usage, 'keys create needs --name <name>', 'USAGE')
    const created = await auth.createKey(
      {
        userId,
        name: args.name,
        ...(args.scopes === undefined ? {} : { scopes: args.scopes }),
        ...(args.expiresInDays === undefined ? {} : { expiresInDays: args.expiresInDays }),
      },
      CLI,
    )
    if (args.json) io.stdout.write(`${JSON.stringify(createdJson(created))}\n`)
    else printCreated(created, io)
    return EXIT.ok
  }
  if (sub === 'list') {
    const listed = await auth.listKeys(userId)
    print(
      { keys: listed.map(apiKeyToJson), nextCursor: null },
      listed.length === 0 ? `No keys for ${userId}.` : keyTable(listed, io, now),
    )
    return EXIT.ok
  }
  if (sub === 'show') {
    const found = (await auth.listKeys(userId)).find((k) => k.id === id)
    if (found === undefined) throw notFound()
    print(apiKeyToJson(found), keyTable([found], io, now))
    return EXIT.ok
  }
  const keyId = id as string
  const missing = (error: unknown): never => {
    throw (error as { code?: unknown }).code === 'KEY_NOT_FOUND' ? notFound() : error
  }
  if (sub === 'roll') {
    const rolled = await auth
      .rollKey(
        {
          userId,
          keyId,
          ...(args.graceSeconds === undefined ? {} : { gracePeriodMs: args.graceSeconds * 1000 }),
        },
        CLI,
      )
      .catch(missing)
    const previous = {
      id: rolled.previous.id,
      expiresAt: rolled.previous.expiresAt?.toISOString() ?? null,
    }
    if (args.json) io.stdout.write(`${JSON.stringify({ ...createdJson(rolled), previous })}\n`)
    else {
      printCreated(rolled, io)
      io.stdout.write(
        `The old key ${previous.id} stops working at ${previous.expiresAt ?? 'its first use of the new key + the grace'}.\n`,
      )
    }
    return EXIT.ok
  }
  if (sub === 'disable' || sub === 'enable') {
    const change = sub === 'disable' ? auth.disableKey : auth.enableKey
    const changed = await change.call(auth, { userId, keyId }, CLI).catch(missing)
    print(
      apiKeyToJson(changed),
      `${sub === 'disable' ? 'Disabled' : 'Enabled'} ${changed.id} (${changed.name}).`,
    )
    return EXIT.ok
  }
  if (sub === 'events') {
    const page = await auth.listEvents({ userId, keyId, limit: 200 }).catch(missing)
    const lines = page.events.map(
      (e) =>
        `${e.at.toISOString()}  ${e.action.padEnd(8)}  ${e.actor === null ? '-' : `${e.actor.type}:${e.actor.id}`}${e.reason === null ? '' : `  (${e.reason})`}`,
    )
    print(
      {
        events: page.events.map((e) => ({ ...e, at: e.at.toISOString() })),
        nextCursor: page.nextCursor,
      },
      lines.length === 0 ? `No audit records for ${keyId}.` : lines.join('\n'),
    )
    return EXIT.ok
  }
  const revoked: ApiKeyInfo = await auth.revokeKey({ userId, keyId }, CLI).catch(missing)
  print(
    { id: revoked.id, revokedAt: revoked.revokedAt?.toISOString() ?? null },
    `Revoked ${revoked.id} (${revoked.name}) at ${revoked.revokedAt?.toISOString() ?? ''}.`,
  )
  return EXIT.ok
}

function notFound(): CliError {
  return new CliError(
    EXIT.invalid,
    'No such key for this user (in this environment)',
    'KEY_NOT_FOUND',
  )
}
