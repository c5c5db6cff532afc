import request from 'supertest';
import { MetricsService } from '../../src/metrics/metrics.service';
import { TestApp } from './app';
import { registerUser } from './factories';

/**
 * The app's /metrics text once every family of the service's own has a sample: an authenticated
 * request, a 404, a task counted and a dispatch observed first.
 */
export async function scrapeWithEverySample(t: TestApp): Promise<string> {
  const user = await registerUser(t);
  await request(t.http)
    .get('/api/v1/users/me')
    .set('Authorization', `Bearer ${user.accessToken}`)
    .expect(200);
  await request(t.http).get('/nowhere').expect(404);
  const metrics = t.app.get(MetricsService);
  metrics.taskCounted('created', 'summarise');
  metrics.dispatchObserved('succeeded', 0.12);
  return (await request(t.http).get('/metrics').expect(200)).text;
}
