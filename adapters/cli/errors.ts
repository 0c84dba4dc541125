/**
 * The CLI's exit codes and the error that carries one. Documented in docs/cli.md; scripts rely
 * on them, so they never change meaning.
 * @module
 */
import { isAuthError, type ValidationIssue } from '../../src/index.js'

/** Exit codes of `vydra-auth`. */
export const EXIT = Object.freeze({
  /** Done. */
  ok: 0,
  /** The key does not exist (for this owner), or the input was refused (validation, key cap). */
  invalid: 1,
  /** The command line is wrong: unknown command or flag, bad store URL, missing driver. */
  usage: 2,
  /** The store cannot be reached or did not answer in time. */
  unavailable: 3,
} as const)

/** An exit code of {@link EXIT}. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** A failure with the exit code it ends the command with and a fixed, secret-free message. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    readonly code: string,
    readonly hint?: string,
    /** A `VALIDATION_ERROR`'s issues, as the HTTP routes give them (`--json` prints them). */
    readonly issues?: readonly ValidationIssue[],
  ) {
    super(message)
    this.name = 'CliError'
  }
}

/** Any failure as a {@link CliError}; a store's own error text is never shown (it may hold a URL). */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error
  if (isAuthError(error)) {
    if (error.code === 'AUTH_UNAVAILABLE') {
      return new CliError(
        EXIT.unavailable,
        'The store is unavailable: it cannot be reached or did not answer in time',
        error.code,
        'Check the store URL and that the server runs; `vydra-auth doctor` says more.',
      )
    }
    const issues = error.issues?.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`)
    const message = issues?.length ? `${error.message}: ${issues.join('; ')}` : error.message
    return new CliError(
      error.code === 'CONFIGURATION_ERROR' ? EXIT.usage : EXIT.invalid,
      message,
      error.code,
      undefined,
      error.code === 'VALIDATION_ERROR' ? error.issues : undefined,
    )
  }
  return new CliError(
    EXIT.unavailable,
    'The store failed: it cannot be reached or refused the operation',
    'STORE_ERROR',
    'Check the store URL and that the server runs; `vydra-auth doctor` says more.',
  )
}
