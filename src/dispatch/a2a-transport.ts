import { Injectable, Logger } from '@nestjs/common';
import { Role, Task } from '@a2a-js/sdk';
import { Client, ClientFactory, JsonRpcTransportFactory } from '@a2a-js/sdk/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { A2aFetchError, A2aStatusError, policyFetch } from './a2a-fetch';
import { agentCardUrl, parseAgentCard, ReadAgentCard } from './a2a-card';
import { errorOutcome, isRunning, messageOutcome, stateName, taskOutcome } from './a2a-outcome';
import { CancelledOutcome, DispatchOutcome, interrupted, retryable } from './classify';
import { AgentCardError, DispatchErrorCode } from './dispatch.errors';
import { EndpointPolicy } from './endpoint-policy';
import { HttpTransport } from './http-transport';
import type { DispatchMessage } from './dispatch.service';

/** Polling `tasks/get`: the first wait, doubled after each poll up to the longest. */
export const POLL_FIRST_MS = 250;
export const POLL_MAX_MS = 2000;
/** How long reading a card may take at registration and in the card check. */
export const CARD_TIMEOUT_MS = 5000;
/** How long `tasks/cancel` may take: the attempt is over either way. */
const CANCEL_TIMEOUT_MS = 5000;

export interface A2aDispatchOptions {
  timeoutMs: number;
  /** The worker stops: end now, retryable, without telling the agent. */
  signal?: AbortSignal;
  /** The task's owner cancelled it: end now and send the agent `tasks/cancel`. */
  cancel?: AbortSignal;
}

/**
 * A2A agents through the official SDK's client (`@a2a-js/sdk`, protocol 1.0 with its 0.3
 * compatibility): the card, `message/send`, `tasks/get` polling and `tasks/cancel`, every request
 * through the endpoint policy (docs/agent-protocol.md, "A2A agents").
 */
@Injectable()
export class A2aTransport {
  private readonly logger = new Logger(A2aTransport.name);

  constructor(
    private readonly endpoints: EndpointPolicy,
    private readonly http: HttpTransport,
  ) {}

  /**
   * Reads and checks the card at `<endpointUrl>/.well-known/agent-card.json`, and checks its
   * JSON-RPC url against the endpoint policy. Throws EndpointRefusedError or AgentCardError.
   */
  async readCard(
    endpointUrl: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ReadAgentCard> {
    const cardUrl = agentCardUrl(endpointUrl);
    const fetch = policyFetch(this.endpoints, this.http, () => timeoutMs);
    let response: Response;
    try {
      response = await fetch(cardUrl, {
        headers: { accept: 'application/json', 'a2a-version': '1.0' },
        signal,
      });
    } catch (error) {
      throw this.cardFailure(error, cardUrl, timeoutMs);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(await response.text());
    } catch {
      throw new AgentCardError(
        DispatchErrorCode.AgentCardInvalid,
        `The agent card at ${cardUrl} is not JSON.`,
      );
    }
    const read = parseAgentCard(raw);
    await this.endpoints.assertAllowed(read.rpc.url);
    return read;
  }

  async dispatch(
    endpointUrl: string,
    message: DispatchMessage,
    options: A2aDispatchOptions,
  ): Promise<DispatchOutcome | CancelledOutcome> {
    const deadline = Date.now() + options.timeoutMs;
    const remaining = () => Math.max(1, deadline - Date.now());
    const stopOrCancel = AbortSignal.any(
      [options.signal, options.cancel].filter((s): s is AbortSignal => s !== undefined),
    );
    let taskId: string | undefined;
    let state: string | undefined;
    let client: Client | undefined;
    const notFinished = () =>
      retryable(
        `the A2A task did not finish within ${options.timeoutMs} ms (still ${state ?? 'running'})`,
      );
    try {
      const read = await this.readCard(endpointUrl, remaining(), stopOrCancel);
      client = await this.client(read, remaining);
      const sent = await client.sendMessage(
        {
          tenant: '',
          message: {
            messageId: `${message.taskId}-${message.attempt}`,
            contextId: '',
            taskId: '',
            role: Role.ROLE_USER,
            parts: [
              this.dataPart({ taskType: message.taskType, parameters: message.parameters }),
              {
                content: { $case: 'text', value: message.name },
                metadata: undefined,
                filename: '',
                mediaType: 'text/plain',
              },
            ],
            metadata: {
              ymeraTaskId: message.taskId,
              ymeraAttempt: message.attempt,
              priority: message.priority,
            },
            extensions: [],
            referenceTaskIds: [],
          },
          // The task id comes back at once, so the task can be polled and cancelled.
          configuration: {
            acceptedOutputModes: [],
            taskPushNotificationConfig: undefined,
            returnImmediately: true,
          },
          metadata: undefined,
        },
        { signal: stopOrCancel },
      );
      if (!('status' in sent)) return messageOutcome(sent);
      taskId = sent.id;
      state = stateName(sent.status?.state);
      const task = await this.poll(client, sent, deadline, stopOrCancel);
      if (task === 'timeout') return notFinished();
      return taskOutcome(task);
    } catch (error) {
      if (options.cancel?.aborted) return this.cancelled(client, taskId, message);
      if (options.signal?.aborted) {
        return interrupted('the worker shut down before the agent answered');
      }
      // The time ran out while a tasks/get was on its way: the task had not finished.
      if (taskId !== undefined && Date.now() >= deadline) return notFinished();
      if (error instanceof A2aFetchError && error.reply.kind === 'network') {
        this.logger.warn(
          {
            taskId: message.taskId,
            attempt: message.attempt,
            code: error.reply.code,
            cause: error.reply.message,
          },
          'Could not reach the A2A agent',
        );
      }
      return errorOutcome(error, options.timeoutMs);
    }
  }

  private dataPart(data: Record<string, unknown>) {
    return {
      content: { $case: 'data' as const, value: data },
      metadata: undefined,
      filename: '',
      mediaType: 'application/json',
    };
  }

  /** `tasks/get` until the task leaves submitted/working, waiting longer each time, up to the deadline. */
  private async poll(
    client: Client,
    first: Task,
    deadline: number,
    signal: AbortSignal,
  ): Promise<Task | 'timeout'> {
    let task = first;
    let wait = POLL_FIRST_MS;
    while (isRunning(task)) {
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await sleep(Math.min(wait, left), undefined, { signal });
      if (Date.now() >= deadline) return 'timeout';
      task = await client.getTask({ tenant: '', id: task.id, historyLength: 0 }, { signal });
      wait = Math.min(wait * 2, POLL_MAX_MS);
    }
    return task;
  }

  /** The owner cancelled: tell the agent (`tasks/cancel`) when it has a task, whatever it answers. */
  private async cancelled(
    client: Client | undefined,
    taskId: string | undefined,
    message: DispatchMessage,
  ): Promise<CancelledOutcome> {
    if (!client || !taskId) {
      return {
        outcome: 'cancelled',
        httpStatus: null,
        error: 'cancelled before the A2A agent had a task',
      };
    }
    try {
      await client.cancelTask(
        { tenant: '', id: taskId, metadata: undefined },
        { signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS) },
      );
    } catch (error) {
      // The agent may have finished meanwhile (not cancelable) or be gone: the task is cancelled anyway.
      this.logger.warn(
        { taskId: message.taskId, attempt: message.attempt, err: error },
        'The A2A agent did not accept tasks/cancel',
      );
    }
    return {
      outcome: 'cancelled',
      httpStatus: null,
      error: 'cancelled by its owner; the A2A agent was sent tasks/cancel',
    };
  }

  private client(read: ReadAgentCard, timeoutMs: () => number): Promise<Client> {
    const factory = new ClientFactory({
      transports: [
        new JsonRpcTransportFactory({
          fetchImpl: policyFetch(this.endpoints, this.http, timeoutMs),
          legacyCompat: { enabled: true },
        }),
      ],
      preferredTransports: ['JSONRPC'],
    });
    return factory.createFromAgentCard(read.card);
  }

  private cardFailure(error: unknown, cardUrl: string, timeoutMs: number): Error {
    if (error instanceof A2aStatusError) {
      return new AgentCardError(
        DispatchErrorCode.AgentCardUnreachable,
        `The agent card at ${cardUrl} could not be read: the agent answered HTTP ${error.status}.`,
      );
    }
    if (error instanceof A2aFetchError) {
      const why =
        error.reply.kind === 'timeout'
          ? `no answer within ${timeoutMs} ms`
          : error.reply.kind === 'response'
            ? 'it is larger than 1 MiB'
            : error.reply.kind === 'aborted'
              ? error.reply.reason
              : 'could not connect';
      const code =
        error.reply.kind === 'response'
          ? DispatchErrorCode.AgentCardInvalid
          : DispatchErrorCode.AgentCardUnreachable;
      return new AgentCardError(code, `The agent card at ${cardUrl} could not be read: ${why}.`);
    }
    return error as Error;
  }
}
