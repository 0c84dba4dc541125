/** Bun entry: serves the test service with `Bun.serve` on a random port of 127.0.0.1. */
import { handle } from './worker.js'

declare const Bun: {
  serve(options: {
    port: number
    hostname: string
    fetch: (request: Request) => Promise<Response>
  }): { port: number }
}

const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: handle })
console.log(`READY ${server.port}`)
