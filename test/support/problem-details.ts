import type { Response } from 'supertest';

const PROBLEM_KEYS = ['detail', 'instance', 'requestId', 'status', 'title', 'type'];

/**
 * Asserts an RFC 9457 answer as the README describes it: the media type, exactly the six members
 * (plus `errors` on validation failures), the status echoed in the body and the request id
 * equal to the X-Request-Id header.
 */
export function expectProblem(
  response: Pick<Response, 'status' | 'headers' | 'body'>,
  status: number,
): void {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/);
  const body = response.body as Record<string, unknown>;
  const keys = Object.keys(body).sort();
  expect(keys).toEqual('errors' in body ? [...PROBLEM_KEYS, 'errors'].sort() : PROBLEM_KEYS);
  expect(body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
    instance: expect.stringMatching(/^\//),
    requestId: response.headers['x-request-id'],
  });
  expect(body.requestId).toBeTruthy();
}
