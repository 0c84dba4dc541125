/** Sending suite requests with `fetch`, or over a raw socket when `fetch` cannot express them. */
import type { Req } from './cases.js'
import { rawRequest } from './raw-http.js'

/** A response, headers lower-case. */
export interface Res {
  status: number
  headers: Record<string, string>
  text: string
}

let recorder: ((req: Req, res: Res) => void) | undefined

/** Calls `record` with every request sent from now on and its response (the OpenAPI check). */
export function recordResponses(record: (req: Req, res: Res) => void): void {
  recorder = record
}

/** Sends `req` to the service at `url`. */
export async function send(url: string, req: Req): Promise<Res> {
  const res = await sendOnce(url, req)
  recorder?.(req, res)
  return res
}

async function sendOnce(url: string, req: Req): Promise<Res> {
  const method = req.method ?? 'GET'
  if (req.raw === true) {
    const lines = [
      `${method} ${req.path} HTTP/1.1`,
      ...(req.headers ?? []).map(([n, v]) => `${n}: ${v}`),
    ]
    const res = await rawRequest(url, lines, req.body ?? '')
    return { status: res.status, headers: res.headers, text: res.text }
  }
  const response = await fetch(`${url}${req.path}`, {
    method,
    headers: req.headers ?? [],
    body: req.body,
    redirect: 'manual',
  })
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  return { status: response.status, headers, text: await response.text() }
}

/** Parses a JSON response body. */
export function json<T = Record<string, unknown>>(res: Res): T {
  return JSON.parse(res.text) as T
}
