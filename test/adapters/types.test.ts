/** Pins the principal's type where each adapter puts it: type-checked by vitest's typecheck mode in `npm test` (vitest.config.ts), never run. */
import type { Request } from 'express'
import Fastify, { type FastifyRequest } from 'fastify'
import type { Http2Server } from 'node:http2'
import type { Context, Middleware } from 'koa'
import { describe, expectTypeOf, test } from 'vitest'
import * as express from '../../adapters/frameworks/express/index.js'
import * as fastify from '../../adapters/frameworks/fastify/index.js'
import * as koa from '../../adapters/frameworks/koa/index.js'
import type { ApiKeyAuth, ApiKeyPrincipal, AuthErrorCode } from '../../src/index.js'

describe('adapter types', () => {
  test('Express: req.auth', () => {
    expectTypeOf<Request['auth']>().toEqualTypeOf<ApiKeyPrincipal | undefined>()
    expectTypeOf(express.requireApiKey).parameters.toEqualTypeOf<
      [ApiKeyAuth, express.RequireApiKeyOptions?]
    >()
  })

  test('Fastify: request.auth', () => {
    expectTypeOf<FastifyRequest['auth']>().toEqualTypeOf<ApiKeyPrincipal | null>()
    expectTypeOf<fastify.ApiKeyRoutesPluginOptions['auth']>().toEqualTypeOf<ApiKeyAuth>()
  })

  test('Fastify over HTTP/2: the hook and the plugin fit an http2 instance', () => {
    // Only compiled, never run: the point is that these calls type-check.
    const setUp = (auth: ApiKeyAuth): Http2Server => {
      const app = Fastify({ http2: true })
      app.get(
        '/x',
        { onRequest: fastify.requireApiKey(auth) },
        async (request) => request.auth?.userId,
      )
      void app.register(fastify.apiKeyRoutes, { auth })
      return app.server
    }
    expectTypeOf(setUp).returns.toEqualTypeOf<Http2Server>()
  })

  test('Koa: ctx.state.auth', () => {
    expectTypeOf<Context['state']['auth']>().toEqualTypeOf<ApiKeyPrincipal | undefined>()
    expectTypeOf(koa.requireApiKey).returns.toEqualTypeOf<Middleware>()
  })

  test('the principal carries no secret and the error code is a literal union', () => {
    expectTypeOf<keyof ApiKeyPrincipal>().toEqualTypeOf<
      | 'keyId'
      | 'userId'
      | 'scopes'
      | 'name'
      | 'expiresAt'
      | 'ownerType'
      | 'ownerId'
      | 'metadata'
      | 'limits'
    >()
    expectTypeOf<'MISSING_AUTH'>().toExtend<AuthErrorCode>()
    expectTypeOf<'NOT_A_CODE'>().not.toExtend<AuthErrorCode>()
  })
})
