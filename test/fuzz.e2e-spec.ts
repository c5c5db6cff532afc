import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { untilStreamOpens } from './support/event-stream';
import { startApp, TestApp, uniqueIp } from './support/app';
import { registerAdmin, registerUser } from './support/factories';
import { expectProblem } from './support/problem-details';
import { listenOnLoopback, nodeExchange, rawExchange, RawResponse } from './support/raw-http';

/**
 * Fuzzing from the contract: every operation of the checked-in openapi.json gets generated bad
 * input (wrong types, huge and deeply nested values, prototype keys, malformed JSON, wrong content
 * types, bad percent-encoding and ids in paths, bad and duplicate headers), with and without a
 * token. No answer may be a 5xx, every error is problem details with nothing internal in it, and
 * the process is still alive and ready at the end. A new operation in the document is fuzzed with
 * no change here. A failure prints fast-check's seed and path, which replay it.
 */

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  example?: unknown;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}

interface OpenApiOperation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  security?: unknown[];
}

interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, Schema> };
}

interface Operation {
  method: string;
  /** The template, e.g. /api/v1/agents/{id}. */
  path: string;
  parameters: Parameter[];
  body?: Schema;
  isPublic: boolean;
}

const DOCUMENT = JSON.parse(
  readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8'),
) as OpenApiDocument;

function resolve(schema: Schema): Schema {
  if (!schema.$ref) return schema;
  return DOCUMENT.components.schemas[schema.$ref.replace('#/components/schemas/', '')];
}

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];

const OPERATIONS: Operation[] = Object.entries(DOCUMENT.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => HTTP_METHODS.includes(method))
    .map(([method, operation]) => {
      const json = operation.requestBody?.content['application/json']?.schema;
      return {
        method: method.toUpperCase(),
        path,
        parameters: operation.parameters ?? [],
        body: json ? resolve(json) : undefined,
        isPublic: Array.isArray(operation.security) && operation.security.length === 0,
      };
    }),
);
const OPERATION_CASES = OPERATIONS.map((operation) => [
  `${operation.method} ${operation.path}`,
  operation,
]);
const PARAMETERISED_CASES = OPERATION_CASES.filter(([, operation]) =>
  (operation as Operation).parameters.some((parameter) => parameter.in === 'path'),
);

/** Runs per operation and kind of input: enough to meet every generator, within about a minute. */
const RUNS = 100;
const RAW_RUNS = 25;

/** Keys that reach or shadow a prototype: refused anywhere in a body (README, "Security behaviour"). */
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

/** Header values node:http will send: printable ASCII. */
const headerText = (maxLength: number) =>
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
    maxLength,
  });

/** Property names of the kind clients send. */
const identifier = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,15}$/);

/** An object whose own property is `key`, even for __proto__ (JSON.stringify writes it). */
function withOwn(target: Record<string, unknown>, key: string, value: unknown) {
  return Object.defineProperty({ ...target }, key, { value, enumerable: true });
}

/** JSON nested deeper than the 64 levels a body may have. */
const deepJson = fc
  .integer({ min: 60, max: 400 })
  .map((depth) => `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`);

/**
 * Text that is valid JSON but awkward for a validator or a database: NUL, unpaired UTF-16
 * surrogates, characters beyond the BMP, bidi controls, injection-shaped strings.
 */
const awkwardText = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\ud83d\ude80',
  '\u202e',
  '\uffff',
  "'; DROP TABLE tasks; --",
  '$where',
  'a.b',
  '%s%n',
  '../../etc/passwd',
);

/** Values of every JSON type, extreme ones weighted in. */
const anyJsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 3 },
  { arbitrary: awkwardText, weight: 2 },
  fc.constantFrom(null, true, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.5, [], {}, [[[]]]),
  fc.string({ maxLength: 20 }).map((s) => s.repeat(500)),
  fc.array(fc.constant('x'), { maxLength: 2000 }),
  fc.constantFrom(...PROTOTYPE_KEYS).map((key) => withOwn({}, key, { polluted: true })),
);

/** A value the schema accepts, or near it: the starting point that mutations then break. */
function plausible(schema: Schema | undefined): fc.Arbitrary<unknown> {
  const s = resolve(schema ?? {});
  if (s.enum) return fc.constantFrom(...s.enum);
  switch (s.type) {
    case 'integer':
    case 'number':
      return fc.integer({ min: s.minimum ?? 0, max: s.maximum ?? 1000 });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(plausible(s.items), { minLength: 1, maxLength: 3 });
    case 'object':
      if (!s.properties) {
        return fc.dictionary(
          fc.oneof({ arbitrary: identifier, weight: 2 }, awkwardText),
          anyJsonValue,
          { maxKeys: 4 },
        );
      }
      return fc.record(
        Object.fromEntries(
          Object.entries(s.properties).map(([name, inner]) => [name, plausible(inner)]),
        ),
        { requiredKeys: s.required ?? [] },
      );
    default:
      break;
  }
  switch (s.format) {
    case 'uuid':
      return fc.uuid();
    case 'email':
      return fc.emailAddress();
    case 'uri':
      return fc.constantFrom('https://agents.example.com/run', 'http://127.0.0.1:9/run');
    case 'date-time':
      return fc.date({ noInvalidDate: true }).map((date) => date.toISOString());
    default:
      return fc.oneof(
        {
          arbitrary:
            typeof s.example === 'string'
              ? fc.constant(s.example)
              : fc.string({
                  minLength: s.minLength ?? 0,
                  maxLength: Math.min(s.maxLength ?? 40, 40),
                }),
          weight: 4,
        },
        awkwardText,
      );
  }
}

type Body = { kind: 'json'; value: unknown } | { kind: 'text'; text: string };

/** A JSON body for the operation's schema, broken in one of the ways clients break them. */
function bodyFor(schema: Schema | undefined): fc.Arbitrary<Body | undefined> {
  const base = plausible(schema ?? { type: 'object', properties: {} }).map((value) =>
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {},
  );
  const fields = Object.keys(resolve(schema ?? {}).properties ?? {});
  const freeForm = Object.entries(resolve(schema ?? {}).properties ?? {})
    .filter(([, inner]) => resolve(inner).type === 'object')
    .map(([name]) => name);
  const json = (arbitrary: fc.Arbitrary<unknown>) =>
    arbitrary.map((value): Body => ({ kind: 'json', value }));
  const text = (arbitrary: fc.Arbitrary<string>) =>
    arbitrary.map((value): Body => ({ kind: 'text', text: value }));
  return fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 1 },
    { arbitrary: json(base), weight: 5 },
    {
      // One field of the wrong type or size.
      arbitrary: json(
        fc
          .tuple(base, fc.constantFrom(...(fields.length ? fields : ['name'])), anyJsonValue)
          .map(([value, field, wrong]) => ({ ...value, [field]: wrong })),
      ),
      weight: 4,
    },
    {
      // Unknown or prototype keys, at the top or inside a free-form field.
      arbitrary: json(
        fc
          .tuple(
            base,
            fc.oneof(identifier, fc.constantFrom(...PROTOTYPE_KEYS)),
            fc.option(fc.constantFrom(...(freeForm.length ? freeForm : ['extra'])), {
              nil: undefined,
            }),
            anyJsonValue,
          )
          .map(([value, key, inside, extra]) =>
            inside === undefined
              ? withOwn(value, key, extra)
              : { ...value, [inside]: withOwn({}, key, extra) },
          ),
      ),
      weight: 3,
    },
    { arbitrary: json(anyJsonValue), weight: 2 },
    { arbitrary: text(deepJson), weight: 1 },
    {
      // Malformed JSON: truncated, or not JSON at all.
      arbitrary: text(
        fc.oneof(
          base.chain((value) => {
            const whole = JSON.stringify(value);
            return fc.nat(Math.max(whole.length - 1, 0)).map((cut) => whole.slice(0, cut));
          }),
          fc.string({ maxLength: 50 }),
          fc.constantFrom('{"a":1,}', "{'a':1}", '{"a":NaN}', '\ufeff{}', '{"a":"\\x"}'),
        ),
      ),
      weight: 2,
    },
    {
      // Around the 1 MiB limit, on both sides.
      arbitrary: text(
        fc
          .integer({ min: 1024 * 1024 - 100, max: 1024 * 1024 + 100 })
          .map((size) => `{"name":"${'x'.repeat(size - 11)}"}`),
      ),
      weight: 1,
    },
  );
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/merge-patch+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json;;;==',
  '*/*',
];

interface Context {
  tokens: { user: string; admin: string; agent: string; apiKey: string };
  /** Ids that exist (an agent and a task of the user), so found resources meet bad input too. */
  ids: string[];
}

type Auth =
  | 'none'
  | 'user'
  | 'admin'
  | 'agent'
  | 'api-key'
  | 'garbage'
  | 'basic'
  | 'malformed-jwt'
  | 'malformed-key';

function authorization(auth: Auth, context: Context): string | undefined {
  switch (auth) {
    case 'none':
      return undefined;
    case 'user':
      return `Bearer ${context.tokens.user}`;
    case 'admin':
      return `Bearer ${context.tokens.admin}`;
    case 'agent':
      return `Bearer ${context.tokens.agent}`;
    case 'api-key':
      return `Bearer ${context.tokens.apiKey}`;
    case 'garbage':
      return 'Bearer not.a.token';
    case 'basic':
      return 'Basic dXNlcjpwYXNz';
    case 'malformed-jwt':
      // A valid token with its signature cut: the header and claims still parse.
      return `Bearer ${context.tokens.user.slice(0, -5)}`;
    case 'malformed-key':
      // An API key's prefix on something that cannot be a key.
      return `Bearer ymrk_${context.tokens.apiKey.slice(0, 20)}%`;
  }
}

/** A valid user token half the time, so most requests get past the guard to validation and beyond. */
const auths = fc.oneof(
  { arbitrary: fc.constant<Auth>('user'), weight: 6 },
  fc.constantFrom<Auth>(
    'none',
    'admin',
    'admin',
    'agent',
    'api-key',
    'garbage',
    'basic',
    'malformed-jwt',
    'malformed-key',
  ),
);

/** Path parameter values an HTTP client can send (valid percent-encoding). */
function pathValue(context: Context): fc.Arbitrary<string> {
  return fc.oneof(
    fc.uuid(),
    fc.constantFrom(...context.ids),
    fc.constantFrom(
      '00000000-0000-0000-0000-000000000000',
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
      'not-a-uuid',
      '1',
      '-1',
      'null',
      'undefined',
      '%00',
      '..',
      '%2e%2e%2f',
      '%2F',
      'x'.repeat(4000),
    ),
    fc.uuid().map((id) => id.toUpperCase()),
    fc.uuid().map((id) => `${id}x`),
    fc.uuid().map((id) => id.replace(/-/g, '')),
    fc.string({ unit: 'binary', maxLength: 30 }).map((value) => encodeURIComponent(value)),
  );
}

/** A query value for the parameter's schema, or wrong for it. */
function queryValue(parameter: Parameter): fc.Arbitrary<string> {
  return fc.oneof(
    plausible(parameter.schema).map(String),
    fc.constantFrom('', '-1', '0', '1e309', '9'.repeat(400), 'NaN', 'true', '[]', '{}', '%zz'),
    fc.constantFrom('2026-13-45T99:99:99Z', '0000-00-00', 'not-a-uuid', '\u0000'),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.constant('y'.repeat(5000)),
  );
}

interface GeneratedRequest {
  method: string;
  url: string;
  auth: Auth;
  headers: [string, string][];
  body?: Body;
}

/** Query strings: the declared parameters, wrong or right, plus unknown, duplicate and prototype keys. */
function queryFor(operation: Operation): fc.Arbitrary<string> {
  const declared = operation.parameters.filter((parameter) => parameter.in === 'query');
  const pairs = fc.tuple(
    ...declared.map((parameter) =>
      fc.option(
        queryValue(parameter).map((value): [string, string] => [parameter.name, value]),
        { nil: undefined },
      ),
    ),
  );
  const extra = fc.array(
    fc.tuple(
      fc.oneof(
        identifier,
        fc.constantFrom(...PROTOTYPE_KEYS, 'skip', 'limit', 'skip[]', 'a[b]', 'a[__proto__][x]'),
      ),
      fc.string({ maxLength: 10 }),
    ),
    { maxLength: 3 },
  );
  return fc.tuple(pairs, extra).map(([chosen, more]) =>
    // URLSearchParams encodes as UTF-8, an unpaired surrogate as U+FFFD (a URL holds bytes).
    new URLSearchParams([...chosen.filter((pair) => pair !== undefined), ...more]).toString(),
  );
}

function requestFor(operation: Operation, context: Context): fc.Arbitrary<GeneratedRequest> {
  const pathNames = operation.parameters.filter((p) => p.in === 'path').map((p) => p.name);
  const headerParams = operation.parameters.filter((p) => p.in === 'header');
  return fc.record({
    method: fc.oneof(
      { arbitrary: fc.constant(operation.method), weight: 9 },
      fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
    ),
    url: fc
      .tuple(fc.tuple(...pathNames.map(() => pathValue(context))), queryFor(operation))
      .map(([values, query]) => {
        let path = operation.path;
        pathNames.forEach((name, i) => (path = path.replace(`{${name}}`, values[i])));
        return query ? `${path}?${query}` : path;
      }),
    auth: auths,
    headers: fc
      .tuple(
        // JSON mostly: without a Content-Type supertest would send a string as a form.
        fc.oneof(
          { arbitrary: fc.constant<string | undefined>('application/json'), weight: 6 },
          fc.constantFrom<string | undefined>(...CONTENT_TYPES, undefined),
        ),
        fc.oneof(
          { arbitrary: fc.constant(undefined), weight: 8 },
          fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown'),
        ),
        fc.option(headerText(200), { nil: undefined }),
        fc.tuple(...headerParams.map(() => fc.option(headerText(600), { nil: undefined }))),
        fc.option(fc.constantFrom('*/*', 'text/html', 'application/xml', ';;;'), {
          nil: undefined,
        }),
      )
      .map(([contentType, encoding, requestId, params, accept]) => {
        const headers: [string, string | undefined][] = [
          ['Content-Type', contentType],
          ['Content-Encoding', encoding],
          ['X-Request-Id', requestId],
          ['Accept', accept],
          ...headerParams.map((p, i): [string, string | undefined] => [p.name, params[i]]),
        ];
        return headers.filter((h): h is [string, string] => h[1] !== undefined);
      }),
    body: operation.method === 'GET' ? fc.constant(undefined) : bodyFor(operation.body),
  });
}

/** Markers of internals: stack frames, source paths, SQL and driver messages. */
const INTERNALS =
  /\bat [\w.<>]+ \(|node_modules|\/src\/|\.ts:\d|QueryFailedError|TypeORMError|SQLSTATE|syntax error at or near|violates .* constraint|duplicate key value|relation "|ECONNREFUSED|stack/;

/** What every answer must be: no 5xx; an error is problem details with nothing internal in it. */
function expectSound(response: Pick<RawResponse, 'status' | 'headers' | 'body'>) {
  expect(response.status).toBeLessThan(500);
  if (response.status >= 400) {
    expectProblem(response, response.status);
    const { type, title, detail, errors } = response.body as {
      type: string;
      title: string;
      detail: string;
      errors?: { message: string }[];
    };
    const told = [type, title, detail, ...(errors ?? []).map((error) => error.message)].join('\n');
    expect(told).not.toMatch(INTERNALS);
  }
}

describe('fuzzing every operation of openapi.json', () => {
  let t: TestApp;
  let port: number;
  let context: Context;

  beforeAll(async () => {
    t = await startApp({ AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1' });
    port = await listenOnLoopback(t.app);
    const [user, admin] = await Promise.all([registerUser(t), registerAdmin(t)]);
    const auth = { Authorization: `Bearer ${user.accessToken}` };
    const agent = await request(t.http)
      .post('/api/v1/agents')
      .set(auth)
      .send({ name: 'fuzz', capabilities: ['fuzz'], endpointUrl: 'http://127.0.0.1:9/run' })
      .expect(201);
    const task = await request(t.http)
      .post('/api/v1/tasks')
      .set(auth)
      .send({ name: 'fuzz', taskType: 'fuzz' })
      .expect(201);
    const key = await request(t.http)
      .post('/api/v1/api-keys')
      .set(auth)
      .send({ name: 'fuzz', scopes: ['agents:read', 'agents:write', 'tasks:read', 'tasks:write'] })
      .expect(201);
    context = {
      tokens: {
        user: user.accessToken,
        admin: admin.accessToken,
        agent: agent.body.agentToken as string,
        apiKey: key.body.key as string,
      },
      ids: [agent.body.id as string, task.body.id as string],
    };
  });

  afterAll(() => t.close());

  it('covers every operation the document lists', () => {
    expect(OPERATIONS.length).toBeGreaterThanOrEqual(20);
    expect(OPERATIONS.some((operation) => operation.path === '/api/v1/tasks/{id}')).toBe(true);
  });

  it.each(OPERATION_CASES)(
    '%s: no 5xx and problem details for generated parameters, headers and bodies',
    async (_name, operation) => {
      await fc.assert(
        fc.asyncProperty(requestFor(operation as Operation, context), async (generated) => {
          let pending = untilStreamOpens(
            request(t.http)[
              generated.method.toLowerCase() as
                'get' | 'post' | 'put' | 'patch' | 'delete' | 'options'
            ](generated.url),
          ).set('X-Forwarded-For', uniqueIp());
          const auth = authorization(generated.auth, context);
          if (auth) pending = pending.set('Authorization', auth);
          for (const [name, value] of generated.headers) pending = pending.set(name, value);
          if (generated.body?.kind === 'json') {
            pending = pending.send(JSON.stringify(generated.body.value));
          } else if (generated.body?.kind === 'text') {
            pending = pending.send(generated.body.text);
          }
          const response = await pending;
          expectSound(response);
        }),
        { numRuns: RUNS },
      );
    },
  );

  /** Percent-encoding that does not decode, sent raw (no HTTP client library would send it). */
  const badPercent = fc.oneof(
    fc.constantFrom('%zz', '%E0%A4%A', '%', '%%', '%0', '%C0%AF', '%ED%A0%80', '%FF', '%u0041'),
    fc
      .array(fc.constantFrom('%', 'a', 'F', '0', 'z', '%E0', '%A4', '-'), {
        minLength: 1,
        maxLength: 12,
      })
      .map((parts) => parts.join('')),
  );

  it.each(PARAMETERISED_CASES)(
    '%s: no 5xx and problem details for raw path parameters with bad percent-encoding',
    async (_name, operation) => {
      const { method, path, parameters } = operation as Operation;
      const names = parameters.filter((p) => p.in === 'path').map((p) => p.name);
      await fc.assert(
        fc.asyncProperty(
          fc.tuple(...names.map(() => badPercent)),
          fc.option(badPercent, { nil: undefined }),
          auths,
          async (values, query, auth) => {
            let raw = path;
            names.forEach((name, i) => (raw = raw.replace(`{${name}}`, values[i])));
            const authorizationHeader = authorization(auth, context);
            const response = await nodeExchange(port, {
              method,
              path: query === undefined ? raw : `${raw}?skip=${query}&${query}=1`,
              headers: {
                'X-Forwarded-For': uniqueIp(),
                ...(authorizationHeader ? { Authorization: authorizationHeader } : {}),
              },
            });
            expectSound(response);
          },
        ),
        { numRuns: RAW_RUNS },
      );
    },
  );

  /** Headers a client may repeat, each sent twice with values that disagree. */
  const duplicated = fc.constantFrom(
    'Host',
    'Authorization',
    'Content-Type',
    'X-Request-Id',
    'X-Forwarded-For',
    'Idempotency-Key',
    'Origin',
    'Accept',
    'Cookie',
    'Content-Encoding',
  );

  it.each(OPERATION_CASES)(
    '%s: no 5xx and problem details for duplicate headers',
    async (_name, operation) => {
      const { method, path } = operation as Operation;
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(duplicated, { minLength: 1, maxLength: 4 }),
          pathValue(context),
          auths,
          fc.oneof({ arbitrary: fc.constant(false), weight: 9 }, fc.constant(true)),
          async (names, id, auth, withoutHost) => {
            const url = path.replace(/\{[^}]+\}/g, id);
            const ip = uniqueIp();
            const values: Record<string, [string, string]> = {
              Authorization: [authorization(auth, context) ?? 'Bearer x', 'Bearer y'],
              'Content-Type': ['application/json', 'text/plain'],
              'X-Forwarded-For': [ip, uniqueIp()],
              Origin: ['https://a.example', 'https://b.example'],
              'Content-Encoding': ['identity', 'gzip'],
              Host: [`127.0.0.1:${port}`, 'evil.example'],
            };
            const headers = names.flatMap((name) => {
              const [first, second] = values[name] ?? ['one', 'two'];
              return [name, first, name, second];
            });
            if (!names.includes('X-Forwarded-For')) headers.push('X-Forwarded-For', ip);
            // Headers given as a list are sent as they are: node:http adds no Host of its own.
            if (!names.includes('Host') && !withoutHost) headers.push('Host', `127.0.0.1:${port}`);
            const response = await nodeExchange(port, {
              method,
              path: url,
              headers,
              body: method === 'GET' ? undefined : '{}',
            });
            expectSound(response);
          },
        ),
        { numRuns: RAW_RUNS },
      );
    },
  );

  /** Request heads node:http itself refuses: too large, malformed, or smuggling-shaped. */
  const malformedHead = fc.oneof(
    fc
      .integer({ min: 17 * 1024, max: 40 * 1024 })
      .map(
        (size) => `GET /api/v1/users/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(size)}\r\n\r\n`,
      ),
    fc
      .integer({ min: 17 * 1024, max: 100 * 1024 })
      .map((size) => `GET /api/v1/tasks?${'q'.repeat(size)} HTTP/1.1\r\nHost: x\r\n\r\n`),
    fc
      .integer({ min: 200, max: 1000 })
      .map(
        (count) =>
          `GET /api/v1/users/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${Array.from({ length: count }, (_, i) => `X-${i}: ${'v'.repeat(40)}\r\n`).join('')}\r\n`,
      ),
    fc.constantFrom(
      'GARBAGE\r\n\r\n',
      'GET\r\n\r\n',
      'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
      'get / HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /\u0001 HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET / HTTP/1.1\r\nHo st: x\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nX: a\u0000b\r\n\r\n',
      'GET / HTTP/1.1\r\n: empty-name\r\n\r\n',
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
      'GET /api/v1/agents/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    ),
  );

  it('no 5xx and problem details for request heads node:http refuses', async () => {
    await fc.assert(
      fc.asyncProperty(malformedHead, async (raw) => {
        const response = await rawExchange(port, raw);
        expectSound(response);
        expect(response.status).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: 40 },
    );
  });

  it('leaves the process alive and ready', async () => {
    await request(t.http).get('/health').expect(200);
    const probe = await nodeExchange(port, { method: 'GET', path: '/health' });
    expect(probe.status).toBe(200);
  });
});
