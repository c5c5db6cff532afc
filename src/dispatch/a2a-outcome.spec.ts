import { Part, Role, Task, TaskState } from '@a2a-js/sdk';
import { JsonRpcTaskNotFoundError, JsonRpcTransportError } from '@a2a-js/sdk/errors';
import { A2aFetchError, A2aStatusError } from './a2a-fetch';
import {
  errorOutcome,
  isRunning,
  MAX_AGENT_TEXT,
  messageOutcome,
  taskOutcome,
} from './a2a-outcome';
import { AgentCardError, DispatchErrorCode, EndpointRefusedError } from './dispatch.errors';

const text = (value: string): Part => ({
  content: { $case: 'text', value },
  metadata: undefined,
  filename: '',
  mediaType: '',
});

function task(state: TaskState, statusText?: string): Task {
  return {
    id: 't1',
    contextId: 'c1',
    status: {
      state,
      timestamp: undefined,
      message: statusText
        ? {
            messageId: 'm1',
            contextId: 'c1',
            taskId: 't1',
            role: Role.ROLE_AGENT,
            parts: [text(statusText)],
            metadata: undefined,
            extensions: [],
            referenceTaskIds: [],
          }
        : undefined,
    },
    artifacts: [
      {
        artifactId: 'a1',
        name: 'report',
        description: '',
        parts: [
          text('hello'),
          {
            content: { $case: 'data', value: { n: 1 } },
            metadata: undefined,
            filename: '',
            mediaType: '',
          },
          {
            content: { $case: 'url', value: 'https://x.test/f.pdf' },
            metadata: { size: 3 },
            filename: 'f.pdf',
            mediaType: 'application/pdf',
          },
          {
            content: { $case: 'raw', value: Buffer.from('hi') },
            metadata: undefined,
            filename: '',
            mediaType: '',
          },
        ],
        metadata: undefined,
        extensions: [],
      },
    ],
    history: [],
    metadata: undefined,
  };
}

describe('A2A state mapping (docs/agent-protocol.md, "A2A agents")', () => {
  it('completed: succeeded, the artifacts as result in the 0.3 JSON spelling', () => {
    expect(taskOutcome(task(TaskState.TASK_STATE_COMPLETED))).toEqual({
      outcome: 'succeeded',
      httpStatus: 200,
      result: [
        {
          artifactId: 'a1',
          name: 'report',
          parts: [
            { kind: 'text', text: 'hello' },
            { kind: 'data', data: { n: 1 } },
            {
              kind: 'file',
              url: 'https://x.test/f.pdf',
              mediaType: 'application/pdf',
              filename: 'f.pdf',
              metadata: { size: 3 },
            },
            { kind: 'file', bytes: Buffer.from('hi').toString('base64') },
          ],
        },
      ],
    });
  });

  it.each([
    [TaskState.TASK_STATE_FAILED, 'the A2A agent failed the task: no model'],
    [TaskState.TASK_STATE_REJECTED, 'the A2A agent rejected the task: no model'],
    [
      TaskState.TASK_STATE_INPUT_REQUIRED,
      'the A2A agent asked for more input (input-required), which Ymera cannot give: no model',
    ],
    [
      TaskState.TASK_STATE_AUTH_REQUIRED,
      'the A2A agent asked for authentication (auth-required), which Ymera cannot give: no model',
    ],
    [TaskState.TASK_STATE_CANCELED, 'the A2A agent cancelled the task: no model'],
    [
      TaskState.TASK_STATE_UNSPECIFIED,
      'the A2A agent answered a task in an unknown state (unknown)',
    ],
  ])('state %s fails permanently, keeping the status message', (state, error) => {
    expect(taskOutcome(task(state, 'no model'))).toEqual({
      outcome: 'permanent_error',
      httpStatus: null,
      error,
    });
  });

  it('bounds the agent status text to 1,000 characters', () => {
    const outcome = taskOutcome(task(TaskState.TASK_STATE_FAILED, 'x'.repeat(5000)));
    expect(outcome.outcome).toBe('permanent_error');
    const error = (outcome as { error: string }).error;
    expect(error.length).toBeLessThanOrEqual(
      'the A2A agent failed the task: '.length + MAX_AGENT_TEXT,
    );
    expect(error.endsWith('…')).toBe(true);
  });

  it('polls submitted and working only', () => {
    expect(isRunning(task(TaskState.TASK_STATE_SUBMITTED))).toBe(true);
    expect(isRunning(task(TaskState.TASK_STATE_WORKING))).toBe(true);
    expect(isRunning(task(TaskState.TASK_STATE_COMPLETED))).toBe(false);
    expect(isRunning(task(TaskState.TASK_STATE_INPUT_REQUIRED))).toBe(false);
  });

  it('a direct message reply completes with its parts as one entry', () => {
    expect(
      messageOutcome({
        messageId: 'm9',
        contextId: '',
        taskId: '',
        role: Role.ROLE_AGENT,
        parts: [text('done')],
        metadata: undefined,
        extensions: [],
        referenceTaskIds: [],
      }),
    ).toEqual({
      outcome: 'succeeded',
      httpStatus: 200,
      result: [{ messageId: 'm9', parts: [{ kind: 'text', text: 'done' }] }],
    });
  });
});

describe('A2A request failures', () => {
  it.each([
    [
      new A2aFetchError({ kind: 'timeout', timeoutMs: 5 }),
      'retryable_error',
      'the agent did not answer within 900 ms',
    ],
    [
      new A2aFetchError({ kind: 'network', message: 'ECONNREFUSED' }),
      'retryable_error',
      'could not reach the agent',
    ],
    [new A2aStatusError(503), 'retryable_error', 'the agent answered HTTP 503'],
    [new A2aStatusError(429), 'retryable_error', 'the agent answered HTTP 429'],
    [new A2aStatusError(404), 'permanent_error', 'the agent answered HTTP 404'],
    [
      new A2aFetchError({ kind: 'response', status: 200, body: Buffer.alloc(0), oversized: true }),
      'permanent_error',
      "the agent's reply is larger than 1048576 bytes",
    ],
    [
      new JsonRpcTransportError({
        jsonrpc: '2.0',
        id: 1,
        error: { code: -32603, message: 'boom' },
      }),
      'retryable_error',
      'the A2A agent answered an internal error: boom',
    ],
    [
      new JsonRpcTaskNotFoundError({ message: 'gone' }),
      'permanent_error',
      'the A2A agent answered an error (TaskNotFoundError): gone',
    ],
    [
      new SyntaxError('Unexpected token'),
      'permanent_error',
      "the agent's reply is not a valid A2A answer",
    ],
    [
      new AgentCardError(
        DispatchErrorCode.AgentCardUnreachable,
        'The agent card could not be read.',
      ),
      'retryable_error',
      'The agent card could not be read.',
    ],
    [
      new AgentCardError(DispatchErrorCode.AgentCardInvalid, 'The agent card is not JSON.'),
      'permanent_error',
      'The agent card is not JSON.',
    ],
    [
      new EndpointRefusedError('not_allowlisted', 'not allowed.'),
      'permanent_error',
      "the agent's endpoint is refused: not allowed.",
    ],
    [
      new EndpointRefusedError('unresolvable', 'no such host.'),
      'retryable_error',
      "the agent's endpoint is refused: no such host.",
    ],
  ])('%s -> %s', (error, outcome, message) => {
    expect(errorOutcome(error, 900)).toMatchObject({ outcome, error: message });
  });
});
