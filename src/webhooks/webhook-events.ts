/**
 * The task events a webhook may subscribe to (README, "Webhooks"), and "task.*" for all of them.
 */
export const TASK_EVENT_TYPES = [
  'task.created',
  'task.started',
  'task.progress',
  'task.retrying',
  'task.completed',
  'task.failed',
  'task.cancelled',
  'task.retried',
] as const;

export const ALL_TASK_EVENTS = 'task.*';

/** What `events` of a webhook may hold. */
export const WEBHOOK_EVENT_NAMES: readonly string[] = [...TASK_EVENT_TYPES, ALL_TASK_EVENTS];

/** Whether a webhook subscribed to `events` receives an event of type `type`. */
export function subscribesTo(events: readonly string[], type: string): boolean {
  return events.includes(ALL_TASK_EVENTS) || events.includes(type);
}
