/** `vydra-auth pattern`: the keys' regular expression, for secret scanners. Needs no store. */
import { secretPattern, secretPatternParts } from '../../../src/index.js'
import { EXIT, type ExitCode } from '../errors.js'
import type { CliArgs } from '../args.js'
import type { CliIo } from '../output.js'

/** Prints the pattern of keys with the given prefix and environment. */
export function pattern(args: CliArgs, io: CliIo): ExitCode {
  const options = {
    ...(args.prefix === undefined ? {} : { prefix: args.prefix }),
    ...(args.environment === undefined ? {} : { environment: args.environment }),
  }
  const regex = secretPattern(options).source
  const parts = secretPatternParts(options)
  if (args.json) io.stdout.write(`${JSON.stringify({ pattern: regex, ...parts })}\n`)
  else {
    io.stdout.write(
      `${regex}\n\nFor scanners with separate fields (GitHub custom patterns):\n` +
        `  secret: ${parts.secret}\n  before: ${parts.before}\n  after:  ${parts.after}\n`,
    )
  }
  return EXIT.ok
}
