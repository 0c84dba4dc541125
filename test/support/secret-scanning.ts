/**
 * A stand-in for GitHub's side of secret scanning, on loopback: P-256 key pairs generated here,
 * a key set served over real HTTP (counting fetches, and able to fail), and signed reports.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'

/** A signing key of the fake GitHub. */
export interface Signer {
  id: string
  privateKey: KeyObject
  publicPem: string
}

/** Creates a key pair; `curve` other than P-256 makes a key the endpoint must not trust. */
export function createSigner(curve: 'P-256' | 'P-384' | 'secp256k1' = 'P-256'): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve })
  return {
    id: randomBytes(32).toString('hex'),
    privateKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
}

/** The headers GitHub sends with `body`, signed by `signer` (DER, or raw r||s to test refusal). */
export function signedHeaders(
  signer: Signer,
  body: string | Uint8Array,
  encoding: 'der' | 'ieee-p1363' = 'der',
): Record<string, string> {
  const signature = sign('sha256', Buffer.from(body), {
    key: signer.privateKey,
    dsaEncoding: encoding,
  })
  return {
    'content-type': 'application/json',
    'github-public-key-identifier': signer.id,
    'github-public-key-signature': signature.toString('base64'),
  }
}

/** A key set server on 127.0.0.1. */
export interface KeySetServer {
  url: string
  /** Keys served now. */
  signers: Signer[]
  /** Fetches served so far. */
  fetches: number
  /** When set, every fetch answers this status instead. */
  failWith: number | undefined
  close(): Promise<void>
}

/** Serves `{ public_keys: [...] }` for `signers` on a random loopback port. */
export async function startKeySet(signers: Signer[]): Promise<KeySetServer> {
  const state = { signers, fetches: 0, failWith: undefined as number | undefined }
  const server: Server = createServer((_req, res) => {
    state.fetches++
    if (state.failWith !== undefined) {
      res.writeHead(state.failWith).end()
      return
    }
    const body = JSON.stringify({
      public_keys: state.signers.map((s, i) => ({
        key_identifier: s.id,
        key: s.publicPem,
        is_current: i === 0,
      })),
    })
    res.writeHead(200, { 'content-type': 'application/json' }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/meta/public_keys/secret_scanning`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as KeySetServer
}

/** A report body as GitHub sends it. */
export function report(
  tokens: readonly string[],
  url = 'https://github.com/octocat/hello/blob/main/config.env',
): string {
  return JSON.stringify(
    tokens.map((token) => ({ token, type: 'vydra_api_key', url, source: 'content' })),
  )
}
