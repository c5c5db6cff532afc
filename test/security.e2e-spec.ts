import { RequestMethod, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { IS_PUBLIC } from '../src/common/decorators/public.decorator';
import { startApp, TestApp, uniqueIp } from './support/app';
import { expectProblem } from './support/problem-details';

/** A controller method as Nest knows it. */
interface Handler {
  name: string;
  fn: (...args: unknown[]) => unknown;
  requestMethod: RequestMethod;
  /** `/<controller path>/<method path>`, the end of every URL Nest serves it under. */
  suffixes: string[];
  isPublic: boolean;
}

/** A route of the Express router (Express 5 / router 2 shapes). */
interface ExpressLayer {
  rawPath?: unknown;
  route?: {
    path: string;
    methods: Record<string, boolean>;
    stack: { method?: string; handle: (...args: unknown[]) => unknown }[];
  };
}

interface Endpoint {
  method: string;
  path: string;
  handlers: Handler[];
}

/** Infrastructure served outside Nest controllers that the README declares public. */
const PUBLIC_INFRASTRUCTURE = /^\/docs(\/.*|-json|-yaml)?$/;

/** Nest path metadata: a string, an array of them, or absent. */
function asArray(value: string | string[] | undefined): string[] {
  if (value === undefined) return [''];
  return Array.isArray(value) ? value : [value];
}

function joinPath(...parts: string[]): string {
  const joined = `/${parts.join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  return joined;
}

/** Every controller method, found through Nest's own discovery: new modules are covered as they come. */
function discoverHandlers(t: TestApp): Handler[] {
  const discovery = new DiscoveryService(t.app.get(ModulesContainer));
  const scanner = new MetadataScanner();
  const reflector = new Reflector();
  const handlers: Handler[] = [];
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as Type<unknown> | null;
    if (!controller) continue;
    const prototype = controller.prototype as Record<string, Handler['fn']>;
    for (const methodName of scanner.getAllMethodNames(prototype)) {
      const fn = prototype[methodName];
      const requestMethod = Reflect.getMetadata(METHOD_METADATA, fn) as RequestMethod | undefined;
      if (requestMethod === undefined) continue;
      const suffixes = asArray(
        Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined,
      ).flatMap((base) =>
        asArray(Reflect.getMetadata(PATH_METADATA, fn) as string | string[] | undefined).map(
          (path) => joinPath(base, path),
        ),
      );
      handlers.push({
        name: `${controller.name}.${methodName}`,
        fn,
        requestMethod,
        suffixes,
        isPublic: reflector.getAllAndOverride<boolean>(IS_PUBLIC, [fn, controller]) === true,
      });
    }
  }
  return handlers;
}

/**
 * The routes Express actually serves. Nest copies a handler's metadata onto the function it
 * registers, so a route is tied to its controller method by that metadata plus the URL's end.
 */
function walkRouter(t: TestApp, handlers: Handler[]) {
  const express = t.app.getHttpAdapter().getInstance() as {
    router: { stack: ExpressLayer[] };
  };
  const endpoints: Endpoint[] = [];
  const foreign: { method: string; path: string }[] = [];
  const mounts: string[] = [];
  for (const layer of express.router.stack) {
    if (!layer.route) {
      // Middleware; one mounted under a path of its own (a router, static files) serves URLs too.
      if (typeof layer.rawPath === 'string' && layer.rawPath !== '/') mounts.push(layer.rawPath);
      continue;
    }
    const { route } = layer;
    const methods = Object.keys(route.methods).filter((m) => route.methods[m]);
    for (const { handle, method } of route.stack) {
      const requestMethod = Reflect.getMetadata(METHOD_METADATA, handle) as
        RequestMethod | undefined;
      if (requestMethod === undefined) {
        // Nest binds module middleware (Bull Board's) with app.all: every method, then next().
        if (methods.length < 30) foreign.push({ method: method ?? '*', path: route.path });
        continue;
      }
      const matches = handlers.filter(
        (h) =>
          h.requestMethod === requestMethod &&
          Reflect.getMetadataKeys(h.fn).every(
            (key) => Reflect.getMetadata(key, h.fn) === Reflect.getMetadata(key, handle),
          ) &&
          h.suffixes.some((suffix) => route.path === suffix || route.path.endsWith(suffix)),
      );
      endpoints.push({
        method: method ?? RequestMethod[requestMethod],
        path: route.path,
        handlers: matches,
      });
    }
  }
  return { endpoints, foreign, mounts };
}

/** A concrete URL for a route template: parameters become a fresh UUID, wildcards a word. */
function concrete(path: string): string {
  return path
    .replace(/:(\w+)/g, () => randomUUID())
    .replace(/\*\w+/g, 'x')
    .replace(/[{}]/g, '');
}

function send(t: TestApp, method: string, path: string) {
  const agent = request(t.http) as unknown as Record<string, (url: string) => request.Test>;
  return agent[method.toLowerCase()](path).set('X-Forwarded-For', uniqueIp());
}

describe('security', () => {
  let t: TestApp;
  let handlers: Handler[];
  let walked: ReturnType<typeof walkRouter>;

  beforeAll(async () => {
    // With Bull Board mounted, so the walk covers it too.
    t = await startApp({ BULL_BOARD_USER: 'ops', BULL_BOARD_PASSWORD: randomUUID() });
    handlers = discoverHandlers(t);
    walked = walkRouter(t, handlers);
  });

  afterAll(() => t.close());

  describe('route walker', () => {
    it('finds the routes of every module (the walk is not empty)', () => {
      const seen = walked.endpoints.map((e) => `${e.method.toUpperCase()} ${e.path}`);
      expect(seen).toEqual(
        expect.arrayContaining([
          'POST /api/v1/auth/login',
          'GET /api/v1/users/me',
          'GET /api/v1/audit-logs',
          'GET /health/live',
        ]),
      );
    });

    it('ties every served route to exactly the controller methods that serve it', () => {
      const untied = walked.endpoints.filter((e) => e.handlers.length === 0);
      expect(untied).toEqual([]);
      const unserved = handlers.filter(
        (h) => !walked.endpoints.some((e) => e.handlers.includes(h)),
      );
      expect(unserved.map((h) => h.name)).toEqual([]);
    });

    it('serves nothing outside Nest controllers but the documented public infrastructure', () => {
      const unexpected = walked.foreign.filter((r) => !PUBLIC_INFRASTRUCTURE.test(r.path));
      expect(unexpected).toEqual([]);
    });

    it('answers 401 without a token on every route not marked @Public()', async () => {
      const open: string[] = [];
      const protectedRoutes = walked.endpoints.filter((e) => !e.handlers.every((h) => h.isPublic));
      expect(protectedRoutes.length).toBeGreaterThanOrEqual(2);
      for (const endpoint of protectedRoutes) {
        const url = concrete(endpoint.path);
        const anonymous = await send(t, endpoint.method, url);
        const forged = await send(t, endpoint.method, url).set(
          'Authorization',
          'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.invalid',
        );
        for (const response of [anonymous, forged]) {
          if (response.status !== 401) {
            open.push(`${endpoint.method.toUpperCase()} ${url} -> ${response.status}`);
          } else {
            expectProblem(response, 401);
          }
        }
      }
      expect(open).toEqual([]);
    });

    it('lists its public routes, each marked @Public() on the method or its controller', () => {
      const publicRoutes = walked.endpoints
        .filter((e) => e.handlers.every((h) => h.isPublic))
        .map((e) => `${e.method.toUpperCase()} ${e.path}`);
      expect(publicRoutes).toEqual(
        expect.arrayContaining([
          'POST /api/v1/auth/register',
          'POST /api/v1/auth/login',
          'POST /api/v1/auth/refresh',
          'POST /api/v1/auth/logout',
          'GET /health',
          'GET /health/live',
        ]),
      );
      expect(publicRoutes).not.toContain('GET /api/v1/users/me');
    });

    it('refuses anonymous access to anything mounted under a path of its own', async () => {
      expect(walked.mounts).toContain('/admin/queues');
      const open: string[] = [];
      for (const mount of walked.mounts.filter((m) => !PUBLIC_INFRASTRUCTURE.test(m))) {
        const response = await send(t, 'GET', concrete(mount));
        if (response.status !== 401) open.push(`GET ${mount} -> ${response.status}`);
      }
      expect(open).toEqual([]);
    });
  });

  describe('CORS', () => {
    it('allows no origin when CORS_ORIGINS is unset', async () => {
      expect(t.config.http.corsOrigins).toEqual([]);
      const simple = await request(t.http).get('/health/live').set('Origin', 'https://a.example');
      expect(simple.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await request(t.http)
        .options('/api/v1/auth/login')
        .set('Origin', 'https://a.example')
        .set('Access-Control-Request-Method', 'POST');
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    });

    describe('with CORS_ORIGINS=https://a.example', () => {
      let cors: TestApp;

      beforeAll(async () => {
        cors = await startApp({ CORS_ORIGINS: 'https://a.example' });
      });

      afterAll(() => cors.close());

      it('allows that origin', async () => {
        const simple = await request(cors.http)
          .get('/health/live')
          .set('Origin', 'https://a.example');
        expect(simple.headers['access-control-allow-origin']).toBe('https://a.example');
        expect(simple.headers.vary).toMatch(/Origin/);
        const preflight = await request(cors.http)
          .options('/api/v1/auth/login')
          .set('Origin', 'https://a.example')
          .set('Access-Control-Request-Method', 'POST')
          .set('Access-Control-Request-Headers', 'content-type,authorization');
        expect(preflight.status).toBe(204);
        expect(preflight.headers['access-control-allow-origin']).toBe('https://a.example');
      });

      it('refuses another origin', async () => {
        const simple = await request(cors.http)
          .get('/health/live')
          .set('Origin', 'https://b.example');
        expect(simple.headers['access-control-allow-origin']).toBeUndefined();
        const lookalike = await request(cors.http)
          .get('/health/live')
          .set('Origin', 'https://a.example.evil.test');
        expect(lookalike.headers['access-control-allow-origin']).toBeUndefined();
      });
    });
  });

  describe('helmet', () => {
    it.each([
      ['/health/live', 200],
      ['/api/v1/users/me', 401],
      ['/nowhere', 404],
    ])('sets its headers on %s (%s)', async (path, status) => {
      const response = await request(t.http).get(path).expect(status);
      expect(response.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'strict-transport-security': expect.stringMatching(/max-age=\d+/),
        'content-security-policy': expect.stringContaining("default-src 'self'"),
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
      });
      expect(response.headers['x-powered-by']).toBeUndefined();
    });
  });
});
