/**
 * vitest setupFiles of the mutation-testing run only (vitest.mutation.config.ts). That run keeps
 * one module graph (`isolate: false`) for speed; this re-imports src/ for every test file, so a
 * "static" mutant (one in module-level code: tables, patterns, constants) is evaluated with the
 * mutant active, and no module evaluated under one mutant is reused under the next.
 */
import { vi } from 'vitest'

vi.resetModules()
