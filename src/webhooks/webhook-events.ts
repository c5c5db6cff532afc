import { TASK_EVENT_TYPES } from '../execution/task-events.service';

/** What a webhook subscribes to for every task event (README, "Webhooks"). */
export const ALL_TASK_EVENTS = 'task.*';

/** What `events` of a webhook may hold. */
export const WEBHOOK_EVENT_NAMES: readonly string[] = [...TASK_EVENT_TYPES, ALL_TASK_EVENTS];

/** Whether a webhook subscribed to `events` receives an event of type `type`. */
export function subscribesTo(events: readonly string[], type: string): boolean {
  return events.includes(ALL_TASK_EVENTS) || events.includes(type);
}
