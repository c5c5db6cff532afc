import type { components, webhooks } from './generated/openapi';

/**
 * The messages of docs/agent-protocol.md as types generated from the OpenAPI document's
 * `webhooks` (openapi.json, `npm run openapi`): what Ymera sends an http agent and what the agent
 * answers, and what it delivers to a webhook (`task-event`). The names are the ones sdk/agent.ts
 * and sdk/webhooks.ts use.
 */

type Schemas = components['schemas'];

/** The value of X-Ymera-Event: `task.dispatch` or `task.cancel`. */
export type AgentEventType = Exclude<keyof webhooks, 'task-event'>;
/** `task.dispatch`: do this task (attempt `attempt` of it). */
export type TaskDispatch = Schemas['TaskDispatch'];
/** `task.cancel`: the owner cancelled the task while this attempt ran; stop working on it. */
export type TaskCancel = Schemas['TaskCancel'];
/** A 2xx answer to a `task.dispatch` that completes the task. */
export type AgentResultReply = Schemas['AgentResultReply'];
/** An error answer: Ymera keeps its `detail`, `error` or `message` in the attempt. */
export type AgentErrorReply = Schemas['AgentErrorReply'];
/** The body of a webhook delivery (`task-event`): `{ type, timestamp, data }`. */
export type WebhookTaskEvent = Schemas['WebhookTaskEvent'];
/** Its `data`: the task event, with its id as eventId. */
export type WebhookTaskEventData = Schemas['WebhookTaskEventData'];
