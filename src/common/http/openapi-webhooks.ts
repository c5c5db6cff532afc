import type {
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';

/**
 * The messages Ymera sends an `http` agent, as OpenAPI 3.1 `webhooks`: the agent is the server
 * here, Ymera the client. docs/agent-protocol.md is the prose of the same protocol; the schema
 * names (TaskDispatch, TaskCancel...) are the type names sdk/protocol.ts exports.
 */

export const AGENT_PROTOCOL_TAG = 'agent-protocol';
export const AGENT_PROTOCOL_TAG_DESCRIPTION =
  'What Ymera sends an http agent at its endpointUrl (webhooks), and what the agent answers ' +
  '(docs/agent-protocol.md)';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const EXAMPLE_TASK_ID = '0b9e6f2c-3d1a-4c5e-9f7a-2b8c1d0e4f63';
/** The worked example of docs/agent-protocol.md: a made-up secret, never one of a real agent. */
const EXAMPLE_SIGNING_SECRET = '6bWm0rJX1kE3Yh9sQv2Lp8TzNc4Ra7Ud5Gf0Io1Ke2';

const SCHEMAS: Record<string, SchemaObject> = {
  TaskDispatch: {
    type: 'object',
    description:
      'The body of a task.dispatch: one attempt of a task routed to the agent. The same task may ' +
      'come more than once (a retry, or a worker that died mid-dispatch): taskId and attempt tell ' +
      'deliveries apart.',
    required: ['taskId', 'attempt', 'taskType', 'name', 'parameters', 'priority'],
    properties: {
      taskId: { type: 'string', format: 'uuid', description: 'The task' },
      attempt: { type: 'integer', minimum: 1, description: 'The attempt, from 1' },
      taskType: { type: 'string', description: 'One of the capabilities the agent registered' },
      name: { type: 'string', description: "The task's name, as its owner gave it" },
      parameters: {
        type: 'object',
        additionalProperties: true,
        description: "The task's parameters, as its owner gave them ({} when none)",
      },
      priority: { type: 'string', enum: ['low', 'normal', 'high', 'critical'] },
    },
    additionalProperties: false,
  },
  TaskCancel: {
    type: 'object',
    description:
      "The body of a task.cancel: the task's owner cancelled it while this attempt ran; stop " +
      'working on it. Whatever the agent answers, or posts later, is ignored.',
    required: ['taskId', 'attempt'],
    properties: {
      taskId: { type: 'string', format: 'uuid', description: 'The task' },
      attempt: { type: 'integer', minimum: 1, description: 'The attempt that is cancelled' },
    },
    additionalProperties: false,
  },
  AgentResultReply: {
    type: 'object',
    description:
      'A 2xx answer to a task.dispatch that completes the task: `result` (any JSON value) is ' +
      "stored as the task's result. At most 1 MiB; other properties are ignored.",
    required: ['result'],
    properties: { result: { description: 'Any JSON value' } },
  },
  AgentErrorReply: {
    type: 'object',
    description:
      "An error answer to a task.dispatch (any content type). Ymera keeps the agent's own " +
      "message in the attempt's error: the `detail`, `error` or `message` field of a JSON " +
      'body, or the start of its text, at most 1,000 characters.',
    properties: {
      detail: { type: 'string' },
      error: { type: 'string' },
      message: { type: 'string' },
    },
  },
};

function header(name: string, description: string, schema: SchemaObject, example: unknown) {
  return { name, in: 'header', required: true, description, schema, example } as ParameterObject;
}

/** The headers of every message, `event` being the X-Ymera-Event it carries. */
function messageHeaders(event: string): ParameterObject[] {
  return [
    header('X-Ymera-Event', 'What the message is', { type: 'string', enum: [event] }, event),
    header('X-Ymera-Task-Id', 'The task (a copy of taskId)', { type: 'string' }, EXAMPLE_TASK_ID),
    header('X-Ymera-Attempt', 'The attempt (a copy of attempt)', { type: 'string' }, '1'),
    header(
      'X-Ymera-Timestamp',
      'Unix time in seconds when the message was signed. Refuse one far from your clock (the ' +
        'sdk allows 300 s), so that a recorded message cannot be replayed.',
      { type: 'string', pattern: '^[0-9]+$' },
      '1796160000',
    ),
    header(
      'X-Ymera-Signature',
      '`sha256=` and the hex HMAC-SHA256 of `<X-Ymera-Timestamp>.<raw body>`, keyed with the ' +
        "agent's signingSecret as UTF-8. Verify it over the raw bytes, in constant time, before " +
        'parsing the body. The example is the signature of the example body at the example ' +
        `timestamp with the signing secret \`${EXAMPLE_SIGNING_SECRET}\` (docs/agent-protocol.md ` +
        'shows how to recompute it).',
      { type: 'string', pattern: '^sha256=[0-9a-f]{64}$' },
      'sha256=245cd7da9192680ff9b23afa302abec626216f8d669afceeb2e5d8ea675bc9da',
    ),
  ];
}

const errorContent = {
  'application/json': { schema: ref('AgentErrorReply') },
  'application/problem+json': { schema: ref('AgentErrorReply') },
};

const DISPATCH_RESPONSES: Record<string, ResponseObject> = {
  '200': {
    description: 'Done: the task is completed with `result` stored (any 2xx with this body)',
    content: {
      'application/json': {
        schema: ref('AgentResultReply'),
        example: { result: { words: 6 } },
      },
    },
  },
  '202': {
    description:
      'Accepted, still working (long work): the attempt stays running until the agent posts ' +
      'its result or error to POST /api/v1/agent/tasks/{id}/result with its agent token, or the ' +
      "attempt's timeout passes (a retryable failure). Progress goes to " +
      'POST /api/v1/agent/tasks/{id}/progress. The body is ignored.',
  },
  '408': {
    description: 'Retryable: the task is retried with backoff while attempts remain',
    content: errorContent,
  },
  '429': {
    description: 'Retryable: the task is retried with backoff while attempts remain',
    content: errorContent,
  },
  '4XX': {
    description:
      'Any other 4xx is permanent: the task fails at once, without retry. An agent answers 401 ' +
      'to a message whose signature does not verify.',
    content: errorContent,
  },
  '5XX': {
    description:
      'Retryable, as are no answer within the attempt timeout and a connection error. A ' +
      'redirect is never followed, and a 2xx without a JSON `result` or over 1 MiB is ' +
      'permanent.',
    content: errorContent,
  },
};

const CANCEL_RESPONSES: Record<string, ResponseObject> = {
  '204': { description: 'Acknowledged (any answer will do: it is ignored)' },
  '4XX': {
    description:
      'Ignored like any answer. An agent answers 401 to a message whose signature does not verify.',
    content: errorContent,
  },
};

function webhook(
  event: string,
  operation: Omit<OperationObject, 'parameters' | 'security' | 'tags'>,
): { post: OperationObject } {
  return {
    post: {
      ...operation,
      tags: [AGENT_PROTOCOL_TAG],
      // Ymera sends no credentials: the agent authenticates the message by its signature.
      security: [],
      parameters: messageHeaders(event),
    },
  };
}

const WEBHOOKS: Record<string, { post: OperationObject }> = {
  'task.dispatch': webhook('task.dispatch', {
    operationId: 'agentTaskDispatch',
    summary: 'Do one attempt of a task (sent to the agent)',
    description:
      'POST to the endpointUrl of the http agent a task was routed to, once per attempt, ' +
      'signed. The reply decides the attempt: a 2xx with `{ result }` completes the task, 202 ' +
      'keeps the attempt running until the agent posts its result, 408, 429, 5xx, a timeout or ' +
      'a connection error are retried with backoff, anything else fails the task.',
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: ref('TaskDispatch'),
          example: {
            taskId: EXAMPLE_TASK_ID,
            attempt: 1,
            taskType: 'summarize',
            name: 'Summarise Q3 report',
            parameters: { url: 'https://example.com/q3.pdf' },
            priority: 'normal',
          },
        },
      },
    },
    responses: DISPATCH_RESPONSES,
  }),
  'task.cancel': webhook('task.cancel', {
    operationId: 'agentTaskCancel',
    summary: 'Stop a running attempt (sent to the agent)',
    description:
      "POST to the agent's endpointUrl when the owner cancels a task during an attempt, after " +
      'Ymera aborted the dispatch request. The task is cancelled whatever the agent answers; a ' +
      'result posted afterwards is refused (409).',
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: ref('TaskCancel'),
          example: { taskId: EXAMPLE_TASK_ID, attempt: 1 },
        },
      },
    },
    responses: CANCEL_RESPONSES,
  }),
};

/**
 * A module's part of the document's `webhooks` (messages Ymera sends, the receiver being the
 * server): the messages, their schemas and the tag they carry.
 */
export interface OpenApiWebhooks {
  tag: { name: string; description: string };
  webhooks: Record<string, { post: OperationObject }>;
  schemas: Record<string, SchemaObject>;
}

/** The agent-side messages (docs/agent-protocol.md). */
export const AGENT_PROTOCOL_WEBHOOKS: OpenApiWebhooks = {
  tag: { name: AGENT_PROTOCOL_TAG, description: AGENT_PROTOCOL_TAG_DESCRIPTION },
  webhooks: WEBHOOKS,
  schemas: SCHEMAS,
};

/** Adds the parts' messages (webhooks) and their schemas to the document. */
export function addWebhooks(document: OpenAPIObject, parts: readonly OpenApiWebhooks[]): void {
  const webhooks: Record<string, { post: OperationObject }> = {};
  const schemas: Record<string, SchemaObject> = {};
  for (const part of parts) {
    Object.assign(webhooks, structuredClone(part.webhooks));
    Object.assign(schemas, structuredClone(part.schemas));
  }
  document.webhooks = webhooks;
  document.components ??= {};
  document.components.schemas = { ...document.components.schemas, ...schemas };
}
