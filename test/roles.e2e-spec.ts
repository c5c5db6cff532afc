import { ModulesContainer } from '@nestjs/core';
import request from 'supertest';
import { AgentsController } from '../src/agents/agents.controller';
import { AuditController } from '../src/audit/audit.controller';
import { AuthController } from '../src/auth/auth.controller';
import { UsersController } from '../src/auth/users.controller';
import { AgentHeartbeatSweeper } from '../src/execution/agent-heartbeat.sweeper';
import { TaskReconciler } from '../src/execution/task-reconciler.service';
import { TasksProcessor } from '../src/execution/tasks.processor';
import { RootController } from '../src/root/root.controller';
import { TasksController } from '../src/tasks/tasks.controller';
import { startApp, TestApp } from './support/app';
import { expectProblem } from './support/problem-details';

describe('APP_ROLE=worker', () => {
  let worker: TestApp;

  beforeAll(async () => {
    worker = await startApp({ APP_ROLE: 'worker' });
  });

  afterAll(() => worker.close());

  it.each(['/health', '/health/live', '/metrics'])('serves %s', async (path) => {
    await request(worker.http).get(path).expect(200);
  });

  it.each([
    ['POST', '/api/v1/auth/login'],
    ['GET', '/api/v1/users/me'],
    ['GET', '/api/v1/agents'],
    ['GET', '/api/v1/tasks'],
    ['GET', '/api/v1/audit-logs'],
    ['GET', '/'],
    ['GET', '/docs'],
    ['GET', '/docs-json'],
  ])('answers %s %s with a 404 problem', async (method, path) => {
    const response = await request(worker.http)[method === 'GET' ? 'get' : 'post'](path);
    expectProblem(response, 404);
    expect(response.body.detail).toMatch(/worker process serves only/);
  });
});

describe('what each APP_ROLE runs', () => {
  const API_CONTROLLERS = [
    AuthController,
    UsersController,
    AgentsController,
    TasksController,
    AuditController,
    RootController,
  ];
  const WORKER_PROVIDERS = [TasksProcessor, TaskReconciler, AgentHeartbeatSweeper];

  it.each([
    ['api', { api: true, workers: false }],
    ['worker', { api: false, workers: true }],
    ['all', { api: true, workers: true }],
  ] as const)('APP_ROLE=%s runs %j', async (role, runs) => {
    const t = await startApp({ APP_ROLE: role });
    try {
      const modules = [...t.app.get(ModulesContainer).values()];
      const has = (kind: 'controllers' | 'providers', token: { name: string }) =>
        modules.some((module) => module[kind].has(token as never));
      for (const controller of API_CONTROLLERS) {
        expect({ [controller.name]: has('controllers', controller) }).toEqual({
          [controller.name]: runs.api,
        });
      }
      for (const provider of WORKER_PROVIDERS) {
        expect({ [provider.name]: has('providers', provider) }).toEqual({
          [provider.name]: runs.workers,
        });
      }
      if (runs.api) {
        // GET / leads to the documentation, with no token, where the API is served.
        const root = await request(t.http).get('/').expect(302);
        expect(root.headers.location).toBe('/docs');
        await request(t.http).get(root.headers.location).redirects(1).expect(200);
      }
    } finally {
      await t.close();
    }
  });
});
