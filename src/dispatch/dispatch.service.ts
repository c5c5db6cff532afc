import { Injectable, Logger } from '@nestjs/common';
import { JsonObject } from '../common/json';
import { A2aTransport } from './a2a-transport';
import { USER_AGENT } from './a2a-fetch';
import { DispatchTarget } from './dispatch-target';
import { EndpointRefusedError } from './dispatch.errors';
import { EndpointPolicy, pinnedLookup } from './endpoint-policy';
import { CancelledOutcome, classifyReply, DispatchOutcome, refusedOutcome } from './classify';
import { HttpTransport } from './http-transport';
import { signedHeaders } from './signing';

/** How long sending `task.cancel` may take: the attempt is over either way. */
const CANCEL_TIMEOUT_MS = 5000;

/** The JSON body every agent receives (docs/agent-protocol.md). */
export interface DispatchMessage {
  taskId: string;
  attempt: number;
  taskType: string;
  name: string;
  parameters: JsonObject;
  priority: string;
}

export interface DispatchOptions {
  timeoutMs: number;
  /** Aborting it ends the request at once with a retryable outcome (worker shutdown). */
  signal?: AbortSignal;
  /**
   * The task was cancelled by its owner: stop, and tell the agent. A dispatch given it may end
   * with the outcome `cancelled`.
   */
  cancel?: AbortSignal;
}

/** How a task reaches an agent: one transport per protocol (http, a2a). */
@Injectable()
export class DispatchService {
  private readonly logger = new Logger(DispatchService.name);

  constructor(
    private readonly endpoints: EndpointPolicy,
    private readonly http: HttpTransport,
    private readonly a2a: A2aTransport,
  ) {}

  /** Without `cancel` a dispatch never ends `cancelled`, so its caller need not handle that. */
  dispatch(
    target: DispatchTarget,
    message: DispatchMessage,
    options: DispatchOptions & { cancel: AbortSignal },
  ): Promise<DispatchOutcome | CancelledOutcome>;
  dispatch(
    target: DispatchTarget,
    message: DispatchMessage,
    options: DispatchOptions & { cancel?: undefined },
  ): Promise<DispatchOutcome>;
  dispatch(
    target: DispatchTarget,
    message: DispatchMessage,
    options: DispatchOptions,
  ): Promise<DispatchOutcome | CancelledOutcome> {
    if (target.protocol === 'a2a') return this.a2a.dispatch(target.endpointUrl, message, options);
    return this.dispatchHttp(target, message, options);
  }

  /**
   * Tells an http agent that the owner cancelled the attempt it accepted (202): a signed
   * `task.cancel`, whatever it answers. An a2a agent is told through the dispatch's `cancel`
   * signal (`tasks/cancel`), so this does nothing for one.
   */
  async cancel(target: DispatchTarget, message: DispatchMessage): Promise<void> {
    if (target.protocol !== 'http') return;
    let endpoint;
    try {
      endpoint = await this.endpoints.assertAllowed(target.endpointUrl);
    } catch (error) {
      if (!(error instanceof EndpointRefusedError)) throw error;
      return;
    }
    const body = JSON.stringify({ taskId: message.taskId, attempt: message.attempt });
    const reply = await this.http.send({
      url: endpoint.url,
      lookup: pinnedLookup(endpoint),
      headers: {
        'user-agent': USER_AGENT,
        ...signedHeaders(target.signingSecret, 'task.cancel', message, body),
      },
      body,
      timeoutMs: CANCEL_TIMEOUT_MS,
    });
    if (reply.kind !== 'response' || reply.status < 200 || reply.status >= 300) {
      this.logger.warn(
        {
          taskId: message.taskId,
          attempt: message.attempt,
          reply: reply.kind === 'response' ? reply.status : reply.kind,
        },
        'The agent did not accept task.cancel',
      );
    }
  }

  private async dispatchHttp(
    target: DispatchTarget,
    message: DispatchMessage,
    options: DispatchOptions,
  ): Promise<DispatchOutcome | CancelledOutcome> {
    let endpoint;
    try {
      // Checked again right before sending: the allow-list or DNS may have changed since the
      // agent registered, and the connection goes to exactly the address checked here.
      endpoint = await this.endpoints.assertAllowed(target.endpointUrl);
    } catch (error) {
      if (!(error instanceof EndpointRefusedError)) throw error;
      return refusedOutcome(error);
    }
    const body = JSON.stringify(message);
    const signals = [options.signal, options.cancel].filter((s) => s !== undefined);
    const reply = await this.http.send({
      url: endpoint.url,
      lookup: pinnedLookup(endpoint),
      headers: {
        'user-agent': USER_AGENT,
        accept: 'application/json',
        ...signedHeaders(target.signingSecret, 'task.dispatch', message, body),
      },
      body,
      timeoutMs: options.timeoutMs,
      signal: signals.length > 0 ? AbortSignal.any(signals) : undefined,
      abortReason: 'the worker shut down before the agent answered',
    });
    if (options.cancel?.aborted) {
      // Whatever the agent answered meanwhile is ignored: the task is cancelled.
      await this.cancel(target, message);
      return {
        outcome: 'cancelled',
        httpStatus: null,
        error: 'cancelled by its owner; the agent was sent task.cancel',
      };
    }
    if (reply.kind === 'network') {
      this.logger.warn(
        {
          taskId: message.taskId,
          attempt: message.attempt,
          code: reply.code,
          cause: reply.message,
        },
        'Could not reach the agent',
      );
    }
    return classifyReply(reply);
  }
}
