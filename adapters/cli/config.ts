/**
 * The CLI's view of the application's key rules: `--config <file>` or `VYDRA_AUTH_CONFIG`, an ES
 * module (`.mjs`, `.js`) whose default export is an object, or a `.json` file. It holds the
 * options of `createApiKeyAuth` that decide what a key may be (`scopes`, the registry `keys create`
 * checks against; `prefix`, `environment`, `maxKeysPerUser`, `maxExpiresInDays`, `maxRollGraceMs`,
 * `ownerTypes`), so the application can import the same file and both refuse the same keys.
 * Anything else is refused by name: the pepper comes from `VYDRA_AUTH_PEPPER` only (a file is
 * committed and copied around), and the store from `--store`.
 * @module
 */
import { readFile } from 'node:fs/promises'
import { extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ApiKeyAuthOptions } from '../../src/index.js'
import { CliError, EXIT } from './errors.js'

/** The options a config file may set. */
export type CliConfig = Pick<
  ApiKeyAuthOptions,
  | 'scopes'
  | 'prefix'
  | 'environment'
  | 'maxKeysPerUser'
  | 'maxExpiresInDays'
  | 'maxRollGraceMs'
  | 'ownerTypes'
>

const ALLOWED: readonly (keyof CliConfig)[] = [
  'scopes',
  'prefix',
  'environment',
  'maxKeysPerUser',
  'maxExpiresInDays',
  'maxRollGraceMs',
  'ownerTypes',
]

/** Loads the config file at `path` (relative to `cwd`). @throws {@link CliError} (usage). */
export async function loadConfig(path: string, cwd: string): Promise<CliConfig> {
  const file = resolve(cwd, path)
  let value: unknown
  try {
    if (extname(file).toLowerCase() === '.json') {
      value = JSON.parse(await readFile(file, 'utf8')) as unknown
    } else {
      const module = (await import(pathToFileURL(file).href)) as { default?: unknown }
      value = module.default
    }
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code
    if (code === 'ENOENT' || code === 'ERR_MODULE_NOT_FOUND') {
      throw new CliError(EXIT.usage, `No config file at ${file}`, 'CONFIG_NOT_FOUND')
    }
    throw new CliError(
      EXIT.usage,
      `The config file ${file} could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
      'CONFIG_INVALID',
    )
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(
      EXIT.usage,
      `The config file ${file} must export an object (export default { scopes: [...] })`,
      'CONFIG_INVALID',
    )
  }
  for (const name of Object.keys(value)) {
    if (name === 'pepper' || name === 'pepperRing') {
      throw new CliError(
        EXIT.usage,
        `The config file sets ${name}: the pepper is read from VYDRA_AUTH_PEPPER only`,
        'CONFIG_INVALID',
        'Remove it from the file (it would be committed and copied around) and export VYDRA_AUTH_PEPPER.',
      )
    }
    if (!(ALLOWED as readonly string[]).includes(name)) {
      throw new CliError(
        EXIT.usage,
        `The config file sets ${JSON.stringify(name)}, which the CLI does not take`,
        'CONFIG_INVALID',
        `A config file sets only ${ALLOWED.join(', ')}; the store comes from --store or VYDRA_AUTH_STORE.`,
      )
    }
  }
  // The values are checked by createApiKeyAuth's own schema (CONFIGURATION_ERROR, exit 2).
  return value as CliConfig
}
