import request from 'supertest';
import { TestApp, uniqueIp, uniqueName } from './app';

export interface RegisteredUser {
  id: string;
  username: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  ip: string;
}

export const DEFAULT_PASSWORD = 'correct horse battery staple';

/** Registers a fresh user through the API, from an address of its own. */
export async function registerUser(
  t: TestApp,
  overrides: Partial<{ username: string; email: string; password: string }> = {},
): Promise<RegisteredUser> {
  const username = overrides.username ?? uniqueName();
  const email = overrides.email ?? `${username}@example.com`;
  const password = overrides.password ?? DEFAULT_PASSWORD;
  const ip = uniqueIp();
  const response = await request(t.http)
    .post('/api/v1/auth/register')
    .set('X-Forwarded-For', ip)
    .send({ username, email, password })
    .expect(201);
  const body = response.body as { user: { id: string }; accessToken: string; refreshToken: string };
  return {
    id: body.user.id,
    username,
    email,
    password,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
    ip,
  };
}

/** Registers a user and makes it an admin the way an operator would (admin:create). */
export async function registerAdmin(t: TestApp): Promise<RegisteredUser> {
  const user = await registerUser(t);
  await t.dataSource.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [user.id]);
  const response = await request(t.http)
    .post('/api/v1/auth/login')
    .set('X-Forwarded-For', uniqueIp())
    .send({ username: user.username, password: user.password })
    .expect(200);
  const body = response.body as { accessToken: string; refreshToken: string };
  return { ...user, accessToken: body.accessToken, refreshToken: body.refreshToken };
}
