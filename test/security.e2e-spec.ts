import { RequestMethod, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { untilStreamOpens } from './support/event-stream';
import { API_KEY_SCOPES } from '../src/common/auth/scopes';
import { IS_AGENT_ROUTE, SCOPES_KEY } from '../src/common/decorators/credentials.decorator';
import { IS_PUBLIC } from '../src/common/decorators/public.decorator';
import { startApp, TestApp, uniqueIp } from './support/app';
import { registerUser } from './support/factories';
import { expectProblem } from './support/problem-details';

/** A controller method as Nest knows it. */
interface Handler {
  name: string;
  fn: (...args: unknown[]) => unknown;
  requestMethod: RequestMethod;
  /** `/<controller path>/<method path>`, the end of every URL Nest serves it under. */
  suffixes: string[];
  isPublic: boolean;
  /** @AgentRoute(): only an agent token is admitted. */
  isAgentRoute: boolean;
  /** @Scopes(): the API key scopes admitted (none: no API key). */
  scopes: string[];
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

/**
 * The probes answered before the application sees the request (src/health/probes-first.ts): no
 * guard runs for them, so they look at no credential, whatever it is.
 */
const PROBES_ANSWERED_FIRST = ['/health', '/health/live'];

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
        isAgentRoute:
          reflector.getAllAndOverride<boolean>(IS_AGENT_ROUTE, [fn, controller]) === true,
        scopes:
          reflector.getAllAndOverride<string[] | undefined>(SCOPES_KEY, [fn, controller]) ?? [],
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
  return untilStreamOpens(agent[method.toLowerCase()](path)).set('X-Forwarded-For', uniqueIp());
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

    describe('machine credentials, judged on every route by what the route admits', () => {
      let agentToken: string;
      let apiKey: string;
      let userToken: string;

      beforeAll(async () => {
        const user = await registerUser(t);
        userToken = user.accessToken;
        const auth = { Authorization: `Bearer ${user.accessToken}` };
        const agent = await request(t.http)
          .post('/api/v1/agents')
          .set(auth)
          .send({ name: 'walk', capabilities: ['walk'], endpointUrl: 'https://93.184.215.14' })
          .expect(201);
        agentToken = (agent.body as { agentToken: string }).agentToken;
        const key = await request(t.http)
          .post('/api/v1/api-keys')
          .set(auth)
          .send({ name: 'walk', scopes: API_KEY_SCOPES })
          .expect(201);
        apiKey = (key.body as { key: string }).key;
      });

      /** "GET /path -> status" for every endpoint whose answer to `token` breaks `expected`. */
      async function walk(
        token: string,
        expected: (endpoint: Endpoint) => 'admitted' | 401 | 403,
      ): Promise<string[]> {
        const wrong: string[] = [];
        for (const endpoint of walked.endpoints) {
          if (PROBES_ANSWERED_FIRST.includes(endpoint.path)) continue;
          const url = concrete(endpoint.path);
          const response = await send(t, endpoint.method, url).set(
            'Authorization',
            `Bearer ${token}`,
          );
          const want = expected(endpoint);
          const admitted = response.status !== 401 && response.status !== 403;
          if (want === 'admitted' ? !admitted : response.status !== want) {
            wrong.push(`${endpoint.method.toUpperCase()} ${url} -> ${response.status}`);
          } else if (!admitted) {
            expectProblem(response, response.status);
          }
        }
        return wrong;
      }

      it('finds the agent API and scoped routes (the walk is not empty)', () => {
        const handlers = walked.endpoints.flatMap((e) => e.handlers);
        expect(handlers.some((h) => h.isAgentRoute)).toBe(true);
        expect(handlers.some((h) => h.scopes.length > 0)).toBe(true);
      });

      it("admits an agent token on the agent's own routes only (401 everywhere else, public routes included)", async () => {
        const wrong = await walk(agentToken, (e) =>
          e.handlers.every((h) => h.isAgentRoute) ? 'admitted' : 401,
        );
        expect(wrong).toEqual([]);
      });

      it('admits an API key on routes with @Scopes only (403 on the others, 401 on the agent API)', async () => {
        const wrong = await walk(apiKey, (e) =>
          e.handlers.every((h) => h.isAgentRoute)
            ? 401
            : e.handlers.every((h) => h.scopes.length > 0)
              ? 'admitted'
              : 403,
        );
        expect(wrong).toEqual([]);
      });

      it("refuses a user's access token on the agent API only (401)", async () => {
        const wrong = await walk(userToken, (e) =>
          e.handlers.every((h) => h.isAgentRoute) ? 401 : 'admitted',
        );
        // Admin routes answer a user's token 403: that is the roles guard, not the credential.
        expect(wrong.filter((line) => !/\/api\/v1\/audit-logs -> 403$/.test(line))).toEqual([]);
      });
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
