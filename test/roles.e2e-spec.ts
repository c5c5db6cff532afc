import request from 'supertest';
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
    ['GET', '/docs'],
    ['GET', '/docs-json'],
  ])('answers %s %s with a 404 problem', async (method, path) => {
    const response = await request(worker.http)[method === 'GET' ? 'get' : 'post'](path);
    expectProblem(response, 404);
    expect(response.body.detail).toMatch(/worker process serves only/);
  });
});
