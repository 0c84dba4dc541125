/**
 * The stylesheet of `<vydra-api-keys>` (`<basePath>/ui/vydra-api-keys.css`). A host page themes it
 * with the `--vak-*` custom properties, or overrides the `vak-` classes.
 * @module
 */

/** The element's stylesheet. */
export const STYLESHEET_SOURCE = String.raw`/* <vydra-api-keys>: theme with the custom properties below. */
vydra-api-keys {
  --vak-font: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  --vak-text: #1f2328;
  --vak-muted: #57606a;
  --vak-background: #ffffff;
  --vak-surface: #f6f8fa;
  --vak-border: #d0d7de;
  --vak-accent: #0b5cad;
  --vak-accent-text: #ffffff;
  --vak-danger: #b42318;
  --vak-danger-text: #ffffff;
  --vak-success: #116329;
  --vak-warning-background: #fff8c5;
  --vak-radius: 6px;
  --vak-focus: #0b5cad;
  display: block;
  font-family: var(--vak-font);
  color: var(--vak-text);
  background: var(--vak-background);
}
.vak-card { max-width: 72rem; padding: 1rem 1.25rem; }
.vak-card h2 { margin: 0 0 0.25rem; font-size: 1.375rem; }
.vak-intro, .vak-status { color: var(--vak-muted); }
.vak-form { display: flex; flex-wrap: wrap; gap: 0.75rem 1rem; align-items: flex-end; margin: 1rem 0; padding: 1rem; background: var(--vak-surface); border: 1px solid var(--vak-border); border-radius: var(--vak-radius); }
.vak-field { display: flex; flex-direction: column; gap: 0.25rem; }
.vak-field label, .vak-scopes legend { font-weight: 600; font-size: 0.875rem; }
.vak-scopes { border: 0; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0.25rem 0.75rem; }
.vak-scopes legend { margin-bottom: 0.25rem; }
vydra-api-keys input, vydra-api-keys select { font: inherit; padding: 0.375rem 0.5rem; border: 1px solid var(--vak-border); border-radius: var(--vak-radius); color: var(--vak-text); background: var(--vak-background); }
vydra-api-keys button { font: inherit; padding: 0.375rem 0.875rem; border-radius: var(--vak-radius); border: 1px solid var(--vak-border); background: var(--vak-background); color: var(--vak-text); cursor: pointer; }
vydra-api-keys button:disabled { opacity: 0.6; cursor: progress; }
vydra-api-keys :focus-visible { outline: 3px solid var(--vak-focus); outline-offset: 2px; }
vydra-api-keys .vak-primary { background: var(--vak-accent); border-color: var(--vak-accent); color: var(--vak-accent-text); }
vydra-api-keys .vak-danger { background: var(--vak-danger); border-color: var(--vak-danger); color: var(--vak-danger-text); }
.vak-alert { margin: 1rem 0; padding: 0.75rem 1rem; border: 1px solid var(--vak-danger); border-left-width: 4px; border-radius: var(--vak-radius); color: var(--vak-danger); background: var(--vak-background); }
.vak-alert p { margin: 0 0 0.5rem; }
.vak-secret { margin: 1rem 0; padding: 1rem; border: 1px solid var(--vak-border); border-radius: var(--vak-radius); background: var(--vak-warning-background); }
.vak-secret h3 { margin: 0 0 0.5rem; }
.vak-key-row { display: flex; gap: 0.5rem; margin: 0.25rem 0; }
.vak-key { flex: 1; min-width: 20rem; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.vak-copied { color: var(--vak-success); font-size: 0.875rem; }
.vak-actions { display: flex; gap: 0.5rem; justify-content: flex-end; margin-top: 0.75rem; }
.vak-table-wrap { overflow-x: auto; }
.vak-table { width: 100%; border-collapse: collapse; font-size: 0.9375rem; }
.vak-table caption { text-align: left; font-weight: 600; padding: 0.5rem 0; }
.vak-table th, .vak-table td { text-align: left; padding: 0.5rem; border-bottom: 1px solid var(--vak-border); vertical-align: top; }
.vak-table thead th { color: var(--vak-muted); font-size: 0.8125rem; text-transform: uppercase; letter-spacing: 0.02em; }
.vak-table code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.875rem; }
.vak-empty { color: var(--vak-muted); }
.vak-badge { display: inline-block; padding: 0.125rem 0.5rem; border-radius: 999px; font-size: 0.8125rem; font-weight: 600; border: 1px solid currentColor; }
.vak-active { color: var(--vak-success); }
.vak-revoked { color: var(--vak-danger); }
.vak-expired, .vak-disabled { color: var(--vak-muted); }
.vak-toolbar { display: flex; gap: 0.5rem; align-items: center; margin: 0.5rem 0; }
.vak-toolbar label { font-weight: 600; font-size: 0.875rem; }
.vak-pager { display: flex; gap: 1rem; align-items: center; justify-content: space-between; margin: 0.5rem 0; }
.vak-list-status { color: var(--vak-muted); margin: 0; }
.vak-row-actions { white-space: nowrap; }
.vak-row-actions button + button { margin-left: 0.25rem; }
.vak-edit-form { display: flex; flex-direction: column; gap: 0.75rem; }
.vak-grace { margin: 0 0 0.5rem; }
.vak-dialog { border: 1px solid var(--vak-border); border-radius: var(--vak-radius); padding: 1.25rem; max-width: 28rem; color: var(--vak-text); background: var(--vak-background); }
.vak-dialog::backdrop { background: rgb(0 0 0 / 0.4); }
.vak-dialog h3 { margin-top: 0; }
vydra-api-keys [hidden] { display: none !important; }
`
