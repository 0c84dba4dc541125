/**
 * zod issues as option errors that say what was expected. Internal: not exported.
 * @module
 */
import type { z } from 'zod'

/** One problem with an option: where, and what was expected. */
export interface OptionIssue {
  path: (string | number)[]
  message: string
}

/** The issues, explained, and one line naming each (`cache: expected false or { … }`). */
export function explainIssues(issues: readonly z.core.$ZodIssue[]): {
  issues: OptionIssue[]
  details: string
} {
  const explained = issues.flatMap((issue) => explain(issue, []))
  const details = explained
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'options'}: ${issue.message}`)
    .join('; ')
  return { issues: explained, details }
}

// A union that matched no branch says only "Invalid input". When the value picked a branch (one
// branch has fewer issues than the others: `{ jwt }` is the JWT branch), report that branch's
// issues, which name the expected type; otherwise the union's own message.
function explain(issue: z.core.$ZodIssue, parent: (string | number)[]): OptionIssue[] {
  const path = [...parent, ...issue.path.filter((p): p is string | number => typeof p !== 'symbol')]
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const sizes = issue.errors.map((branch) => branch.length)
    const fewest = Math.min(...sizes)
    const best = issue.errors[sizes.indexOf(fewest)]
    if (best !== undefined && fewest > 0 && sizes.filter((n) => n === fewest).length === 1) {
      return best.flatMap((inner) => explain(inner, path))
    }
  }
  return [{ path, message: issue.message }]
}
