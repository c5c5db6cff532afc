import request from 'supertest';
import type { components } from '../../sdk/generated/openapi';
import { TestApp } from './app';
import { RegisteredUser } from './factories';
import { waitFor } from './test-agent';

/** A task as GET /api/v1/tasks/:id answers it (openapi.json, TaskDto). */
export type TaskView = components['schemas']['TaskDto'];
/** An attempt as GET /api/v1/tasks/:id/attempts lists it (openapi.json, TaskAttemptDto). */
export type AttemptView = components['schemas']['TaskAttemptDto'];

/** The statuses a task does not leave by itself (README, "Task lifecycle"). */
const FINAL: readonly string[] = ['completed', 'failed', 'cancelled'];

/**
 * Reads of tasks through the API as one user, and waits on their state (polled, never a fixed
 * sleep). The app and the user are getters because specs set them in beforeAll.
 */
export function taskReads(app: () => TestApp, user: () => RegisteredUser) {
  const bearer = { type: 'bearer' as const };
  const get = async (id: string): Promise<TaskView> =>
    (
      await request(app().http)
        .get(`/api/v1/tasks/${id}`)
        .auth(user().accessToken, bearer)
        .expect(200)
    ).body as TaskView;
  return {
    get,
    attempts: async (id: string): Promise<AttemptView[]> =>
      (
        await request(app().http)
          .get(`/api/v1/tasks/${id}/attempts`)
          .auth(user().accessToken, bearer)
          .expect(200)
      ).body.items as AttemptView[],
    /** Resolves with the task once its status is `wanted`. */
    status: (id: string, wanted: TaskView['status'], timeoutMs = 20_000) =>
      waitFor(
        async () => {
          const task = await get(id);
          return task.status === wanted ? task : undefined;
        },
        { timeoutMs, what: `task ${id} to be ${wanted}` },
      ),
    /** Resolves with the task once it is completed, failed or cancelled. */
    finished: (id: string) =>
      waitFor(
        async () => {
          const task = await get(id);
          return FINAL.includes(task.status) ? task : undefined;
        },
        { what: `task ${id} to finish` },
      ),
    /** Resolves once the task waits for an agent (parked), pending with no attempt. */
    parked: (id: string) =>
      waitFor(
        async () => {
          const [row] = await app().dataSource.query<{ waiting_since: Date | null }[]>(
            'SELECT waiting_since FROM tasks WHERE id = $1',
            [id],
          );
          return row.waiting_since !== null;
        },
        { what: `task ${id} to wait for an agent` },
      ),
  };
}
