import type { Request } from 'express';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AgentApiError, AgentApiErrorCode } from './agent-api/agent-api.errors';
import { AgentsError, AgentsErrorCode } from './agents/agents.errors';
import { ApiKeysError, ApiKeysErrorCode } from './api-keys/api-keys.errors';
import { AuthError, AuthErrorCode } from './auth/auth.errors';
import { CommonError, CommonErrorCode } from './common/errors/common.errors';
import { ProblemType, problemTypeUri } from './common/errors/domain-error';
import { toProblem } from './common/http/problem';
import {
  AgentCardError,
  DispatchErrorCode,
  EndpointRefusedError,
} from './dispatch/dispatch.errors';
import { ALL_PROBLEM_TYPES, PROBLEM_CATALOG, PROBLEM_TYPES_BY_MODULE } from './problem-types';
import { TasksError, TasksErrorCode } from './tasks/tasks.errors';
import { WebhooksError, WebhooksErrorCode } from './webhooks/webhooks.errors';

type Module = keyof typeof PROBLEM_TYPES_BY_MODULE;

/** How each module's errors are made: every code of every module goes through the filter below. */
const RAISE: Record<Module, (code: string, message: string) => Error> = {
  common: (code, message) => new CommonError(code as CommonErrorCode, message),
  auth: (code, message) => new AuthError(code as AuthErrorCode, message),
  agents: (code, message) => new AgentsError(code as AgentsErrorCode, message),
  tasks: (code, message) => new TasksError(code as TasksErrorCode, message),
  dispatch: (code, message) =>
    (code as DispatchErrorCode) === DispatchErrorCode.EndpointRefused
      ? new EndpointRefusedError('not_allowlisted', message)
      : new AgentCardError(code as DispatchErrorCode.AgentCardInvalid, message),
  'api-keys': (code, message) => new ApiKeysError(code as ApiKeysErrorCode, message),
  'agent-api': (code, message) => new AgentApiError(code as AgentApiErrorCode, message),
  webhooks: (code, message) => new WebhooksError(code as WebhooksErrorCode, message),
};

const request = { originalUrl: '/api/v1/things/1?x=1', id: 'req-1' } as unknown as Request;

function isProblemType(value: unknown): value is ProblemType {
  const v = value as Partial<ProblemType> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.status === 'number' &&
    typeof v.title === 'string' &&
    typeof v.meaning === 'string'
  );
}

/** Every errors.ts under src, relative to src. */
function errorsFiles(dir = __dirname): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return errorsFiles(path);
    return entry.name.endsWith('.errors.ts') ? [relative(__dirname, path)] : [];
  });
}

describe('problem types', () => {
  const entries = Object.entries(PROBLEM_TYPES_BY_MODULE).flatMap(([module, types]) =>
    Object.entries(types).map(([code, type]) => ({ module: module as Module, code, ...type })),
  );

  it('gives every code of every module an error status, a title, a meaning and a type URI', () => {
    for (const { code, status, title, meaning } of entries) {
      expect({ code, status }).toEqual({ code, status: expect.any(Number) });
      expect(status >= 400 && status <= 599).toBe(true);
      expect(title.length).toBeGreaterThan(0);
      expect(meaning.length).toBeGreaterThan(0);
      expect(code).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(problemTypeUri(code)).toBe(`urn:ymera:problem:${code}`);
    }
  });

  it('uses each code in one module only, so each type means one thing', () => {
    const codes = entries.map((entry) => entry.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(Object.keys(ALL_PROBLEM_TYPES).sort()).toEqual([...codes].sort());
    expect(PROBLEM_CATALOG.types.map((entry) => entry.code)).toEqual(codes);
  });

  it('keeps the URIs validation errors and rate limits had before the codes', () => {
    expect(problemTypeUri(CommonErrorCode.ValidationFailed)).toBe(
      'urn:ymera:problem:validation-error',
    );
    expect(problemTypeUri(CommonErrorCode.RateLimited)).toBe('urn:ymera:problem:rate-limited');
  });

  it.each(entries.map((entry) => [`${entry.module} ${entry.code}`, entry] as const))(
    'answers %s with its status, title and type, its message as detail',
    (_name, { module, code, status, title }) => {
      const error = RAISE[module](code, 'What went wrong, for people.');
      expect(toProblem(error, request)).toEqual({
        type: `urn:ymera:problem:${code}`,
        title,
        status,
        detail: 'What went wrong, for people.',
        instance: '/api/v1/things/1',
        requestId: 'req-1',
      });
    },
  );

  it('brings every errors.ts table together (a new module belongs in problem-types.ts)', () => {
    const files = errorsFiles();
    expect(files.length).toBeGreaterThanOrEqual(Object.keys(PROBLEM_TYPES_BY_MODULE).length);
    const gathered = new Set<unknown>(Object.values(PROBLEM_TYPES_BY_MODULE));
    for (const file of files) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exported = require(join(__dirname, file)) as Record<string, unknown>;
      const tables = Object.entries(exported).filter(
        ([, value]) =>
          typeof value === 'object' &&
          value !== null &&
          Object.values(value).length > 0 &&
          Object.values(value).every(isProblemType),
      );
      expect({ file, tables: tables.length }).toEqual({ file, tables: 1 });
      for (const [name, table] of tables) {
        expect({ file, name, gathered: gathered.has(table) }).toEqual({
          file,
          name,
          gathered: true,
        });
      }
    }
  });

  it('names the status codes every route shares with codes of the catalogue', () => {
    for (const [status, code] of Object.entries(PROBLEM_CATALOG.sharedStatusCodes)) {
      const entry = PROBLEM_CATALOG.types.find((type) => type.code === code);
      expect({ code, status: entry?.status }).toEqual({ code, status: Number(status) });
    }
  });

  it('are all listed in openapi.json, on the ProblemDetails schema', () => {
    const document = JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8')) as {
      components: { schemas: { ProblemDetails: { 'x-problem-types': unknown } } };
    };
    expect(document.components.schemas.ProblemDetails['x-problem-types']).toEqual(
      PROBLEM_CATALOG.types.map(({ type, status, title, meaning }) => ({
        type,
        status,
        title,
        description: meaning,
      })),
    );
  });

  describe("the README's Errors table", () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const section = /^## Errors\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? '';
    const rows = section
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => line.split('|').map((cell) => cell.trim()));

    it('lists every type with its status and title, and no other', () => {
      const listed = rows.map(([, type, status, title]) => ({ type, status, title }));
      const expected = PROBLEM_CATALOG.types.map(({ type, status, title }) => ({
        type: `\`${type}\``,
        status: String(status),
        title,
      }));
      expect(listed).toEqual(expected);
    });
  });
});
