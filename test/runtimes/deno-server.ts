/** Deno entry: serves the test service with `Deno.serve` on a random port of 127.0.0.1. */
import { handle } from './worker.js'

declare const Deno: {
  serve(
    options: { port: number; hostname: string; onListen(address: { port: number }): void },
    handler: (request: Request) => Promise<Response>,
  ): unknown
}

Deno.serve(
  {
    port: 0,
    hostname: '127.0.0.1',
    onListen: ({ port }) => console.log(`READY ${port}`),
  },
  handle,
)
