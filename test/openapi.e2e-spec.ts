import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { generateOpenApiJson, OPENAPI_FILE } from '../scripts/openapi';
import { signBody } from '../src/dispatch/signing';
import { startApp, TestApp } from './support/app';

const ROOT = join(__dirname, '..');
const REDOCLY = join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

interface Operation {
  operationId: string;
  summary?: string;
  description?: string;
  parameters?: { in: string; name: string; description?: string }[];
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema?: unknown }>; headers?: object }>;
}

function operationsOf(document: { paths: Record<string, Record<string, unknown>> }) {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({
      method,
      path,
      operation: item[method] as Operation,
    })),
  );
}

describe('OpenAPI document', () => {
  let t: TestApp;
  let generated: string;

  beforeAll(async () => {
    t = await startApp();
    generated = await generateOpenApiJson();
  });

  afterAll(() => t.close());

  it('is checked in up to date as openapi.json', () => {
    const checkedIn = readFileSync(OPENAPI_FILE, 'utf8');
    if (checkedIn !== generated) {
      throw new Error('openapi.json differs from the API: run `npm run openapi` and commit it.');
    }
  });

  it('is served at /docs-json exactly as generated', async () => {
    const response = await request(t.http).get('/docs-json').expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toEqual(JSON.parse(generated));
  });

  it('is browsable with Swagger UI at /docs, its assets served from the same origin', async () => {
    const page = await request(t.http).get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('<div id="swagger-ui">');
    // helmet's CSP allows same-origin scripts only: the page must not need anything else.
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const scripts = [...page.text.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    expect(page.text).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>\s*\S/);
    for (const src of scripts) {
      expect(src).not.toMatch(/^(https?:)?\/\//);
      const asset = await request(t.http).get(new URL(src, 'http://app/docs').pathname);
      expect({ src, status: asset.status }).toEqual({ src, status: 200 });
    }
  });

  it('keeps the token given to Authorize in Swagger UI across reloads (persistAuthorization)', async () => {
    const init = await request(t.http).get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).toMatch(/"persistAuthorization":\s*true/);
  });

  it('describes every operation and every parameter', () => {
    const document = JSON.parse(generated) as Parameters<typeof operationsOf>[0];
    const undescribed = operationsOf(document).flatMap(({ method, path, operation }) => [
      ...(operation.description?.trim() ? [] : [`${method} ${path}`]),
      ...(operation.parameters ?? [])
        .filter((parameter) => !parameter.description?.trim())
        .map((parameter) => `${method} ${path}: ${parameter.in} parameter ${parameter.name}`),
    ]);
    expect(undescribed).toEqual([]);
  });

  it('passes `redocly lint` with the recommended rules, without errors or warnings', () => {
    const lint = spawnSync(
      process.execPath,
      [REDOCLY, 'lint', 'openapi.json', '--format', 'json'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    );
    const report = JSON.parse(lint.stdout) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string; location: { pointer: string }[] }[];
    };
    const problems = report.problems.map(
      (p) => `${p.ruleId}: ${p.message} (${p.location.map((l) => l.pointer).join(', ')})`,
    );
    expect(problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    expect(lint.status).toBe(0);
  });

  it('describes every error as problem details, with the statuses the guards produce', () => {
    const document = JSON.parse(generated) as Parameters<typeof operationsOf>[0];
    const byId = new Map(
      operationsOf(document).map((entry) => [entry.operation.operationId, entry]),
    );
    for (const { method, path, operation } of byId.values()) {
      expect({ method, path, summary: Boolean(operation.summary) }).toEqual({
        method,
        path,
        summary: true,
      });
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400 || (path === '/health' && status === '503')) continue;
        expect({ method, path, status, content: response.content }).toEqual({
          method,
          path,
          status,
          content: {
            'application/problem+json': expect.objectContaining({
              schema: { $ref: '#/components/schemas/ProblemDetails' },
            }),
          },
        });
      }
      expect(operation.responses).toHaveProperty('500');
    }

    const me = byId.get('usersMe')!.operation;
    expect(me.security).toBeUndefined(); // the document's bearer requirement applies
    expect(Object.keys(me.responses)).toEqual(['200', '401', '429', '500']);

    const audit = byId.get('auditList')!.operation;
    expect(Object.keys(audit.responses)).toEqual(['200', '400', '401', '403', '429', '500']);

    const register = byId.get('authRegister')!.operation;
    expect(register.security).toEqual([]);
    expect(Object.keys(register.responses)).toEqual([
      '201',
      '400',
      '409',
      '413',
      '415',
      '429',
      '500',
    ]);
    expect(register.responses['429'].headers).toHaveProperty('Retry-After');

    for (const id of ['healthReadiness', 'healthLiveness', 'metricsIndex']) {
      const probe = byId.get(id)!.operation;
      expect(probe.security).toEqual([]);
      expect(probe.responses).not.toHaveProperty('401');
      expect(probe.responses).not.toHaveProperty('429');
    }
    // The agent's own API takes only an agent token; scoped routes an access token or an API key.
    const agentHeartbeat = byId.get('agentApiHeartbeat')!.operation;
    expect(agentHeartbeat.security).toEqual([{ agentToken: [] }]);
    expect(agentHeartbeat.responses).toHaveProperty('401');
    const listTasks = byId.get('tasksList')!.operation;
    expect(listTasks.security).toEqual([{ bearer: [] }, { apiKey: [] }]);
    expect(listTasks.description).toMatch(/API keys: needs `tasks:read`\.$/);
    expect(Object.keys(listTasks.responses)).toContain('403');
    expect(byId.get('apiKeysList')!.operation.security).toBeUndefined();

    expect(document).toMatchObject({
      security: [{ bearer: [] }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          apiKey: { type: 'http', scheme: 'bearer', bearerFormat: 'ymrk_' },
          agentToken: { type: 'http', scheme: 'bearer', bearerFormat: 'ymra_' },
        },
      },
    });
  });
});

describe('OpenAPI document: the messages Ymera sends agents (webhooks)', () => {
  interface Webhook {
    post: Omit<Operation, 'parameters'> & {
      tags: string[];
      parameters: {
        in: string;
        name: string;
        required: boolean;
        example: string;
        description: string;
      }[];
      requestBody: { content: Record<string, { schema: { $ref: string }; example: object }> };
    };
  }
  const document = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as {
    openapi: string;
    webhooks: Record<string, Webhook>;
    components: { schemas: Record<string, { required?: string[] }> };
    tags: { name: string; description?: string }[];
  };
  const HEADERS = [
    'X-Ymera-Event',
    'X-Ymera-Task-Id',
    'X-Ymera-Attempt',
    'X-Ymera-Timestamp',
    'X-Ymera-Signature',
  ];

  it('is OpenAPI 3.1 with task.dispatch and task.cancel as webhooks, signed, without a token', () => {
    expect(document.openapi).toBe('3.1.0');
    // Besides the webhooks' own task-event (test/webhooks.e2e-spec.ts, README "Webhooks").
    expect(Object.keys(document.webhooks).sort()).toEqual([
      'task-event',
      'task.cancel',
      'task.dispatch',
    ]);
    const agentMessages = ['task.dispatch', 'task.cancel'] as const;
    for (const event of agentMessages) {
      const { post } = document.webhooks[event];
      expect(post.security).toEqual([]);
      expect(post.tags).toEqual(['agent-protocol']);
      expect(post.parameters.map((p) => [p.in, p.name, p.required])).toEqual(
        HEADERS.map((name) => ['header', name, true]),
      );
      expect(post.parameters[0].example).toBe(event);
    }
    expect(document.tags).toContainEqual(expect.objectContaining({ name: 'agent-protocol' }));
  });

  it('gives task.dispatch its body and every reply the protocol reads', () => {
    const dispatch = document.webhooks['task.dispatch'].post;
    expect(dispatch.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/TaskDispatch',
    });
    expect(document.components.schemas.TaskDispatch.required).toEqual([
      'taskId',
      'attempt',
      'taskType',
      'name',
      'parameters',
      'priority',
    ]);
    expect(Object.keys(dispatch.responses)).toEqual(['200', '202', '408', '429', '4XX', '5XX']);
    expect(dispatch.responses['200'].content!['application/json'].schema).toEqual({
      $ref: '#/components/schemas/AgentResultReply',
    });
    const cancel = document.webhooks['task.cancel'].post;
    expect(cancel.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/TaskCancel',
    });
  });

  it('signs its dispatch example as the dispatcher does, with the secret its description gives', () => {
    const dispatch = document.webhooks['task.dispatch'].post;
    const header = (name: string) => dispatch.parameters.find((p) => p.name === name)!;
    const signature = header('X-Ymera-Signature');
    const secret = /signing secret `([^`]+)`/.exec(signature.description)![1];
    const body = JSON.stringify(dispatch.requestBody.content['application/json'].example);
    expect(signBody(secret, header('X-Ymera-Timestamp').example, body)).toBe(signature.example);
  });

  it('is the worked example of docs/agent-protocol.md, whose command recomputes it', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'agent-protocol.md'), 'utf8');
    const dispatch = document.webhooks['task.dispatch'].post;
    const body = JSON.stringify(dispatch.requestBody.content['application/json'].example);
    const [, timestamp, secret] =
      /printf '%s\.%s' (\d+) "\$BODY" \| openssl dgst -sha256 -hmac '([^']+)'/.exec(doc)!;
    const signature = signBody(secret, timestamp, body);
    expect(doc).toContain(`BODY='${body}'`);
    expect(doc).toContain(`X-Ymera-Signature: ${signature}`);
    expect(doc).toContain(`SHA2-256(stdin)= ${signature.slice('sha256='.length)}`);
    expect(signature).toBe(
      dispatch.parameters.find((p) => p.name === 'X-Ymera-Signature')!.example,
    );
  });
});
