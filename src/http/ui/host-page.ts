/**
 * The minimal page `apiKeyRoutes(auth, { ui: true })` serves at `<basePath>/ui`: the element, its
 * module and its stylesheet, nothing inline, under a strict Content-Security-Policy.
 * @module
 */

/** The Content-Security-Policy of the page: nothing inline, nothing from elsewhere. */
export const UI_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** The page's HTML for routes at `basePath`, offering the registry's `scopes`. */
export function hostPage(
  basePath: string,
  scopes: readonly string[] | undefined,
  maxDays: number,
): string {
  const base = escapeHtml(basePath)
  const scopeAttribute =
    scopes === undefined ? '' : ` scopes="${escapeHtml(scopes.filter((s) => s !== '*').join(' '))}"`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API keys</title>
<link rel="stylesheet" href="${base}/ui/vydra-api-keys.css">
<script type="module" src="${base}/ui/vydra-api-keys.js"></script>
</head>
<body>
<main>
<vydra-api-keys base-path="${base}"${scopeAttribute} max-expires-in-days="${maxDays}"></vydra-api-keys>
</main>
</body>
</html>
`
}
