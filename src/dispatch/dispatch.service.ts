import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { JsonObject } from '../common/json';
import { DispatchTarget } from './dispatch-target';
import { EndpointRefusedError } from './dispatch.errors';
import { EndpointPolicy, pinnedLookup } from './endpoint-policy';
import { classifyReply, DispatchOutcome, permanent, retryable } from './classify';
import { HttpTransport } from './http-transport';
import { DispatchHeader, signBody, unixSeconds } from './signing';

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
}

const USER_AGENT = 'Ymera-Dispatcher/1';

/** How a task reaches an agent: one transport per protocol (http today). */
@Injectable()
export class DispatchService implements OnApplicationShutdown {
  private readonly http = new HttpTransport();
  private readonly logger = new Logger(DispatchService.name);

  constructor(private readonly endpoints: EndpointPolicy) {}

  async dispatch(
    target: DispatchTarget,
    message: DispatchMessage,
    options: DispatchOptions,
  ): Promise<DispatchOutcome> {
    if (target.protocol !== 'http') {
      return permanent(`protocol "${target.protocol}" is not supported by this Ymera version`);
    }
    let endpoint;
    try {
      // Checked again right before sending: the allow-list or DNS may have changed since the
      // agent registered, and the connection goes to exactly the address checked here.
      endpoint = await this.endpoints.assertAllowed(target.endpointUrl);
    } catch (error) {
      if (!(error instanceof EndpointRefusedError)) throw error;
      const reason = `the agent's endpoint is refused: ${error.message}`;
      return error.reason === 'unresolvable' ? retryable(reason) : permanent(reason);
    }
    const body = JSON.stringify(message);
    const timestamp = unixSeconds();
    const reply = await this.http.send({
      url: endpoint.url,
      lookup: pinnedLookup(endpoint),
      headers: {
        'user-agent': USER_AGENT,
        accept: 'application/json',
        [DispatchHeader.TaskId]: message.taskId,
        [DispatchHeader.Attempt]: String(message.attempt),
        [DispatchHeader.Timestamp]: timestamp,
        [DispatchHeader.Signature]: signBody(target.signingSecret, timestamp, body),
      },
      body,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      abortReason: 'the worker shut down before the agent answered',
    });
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

  onApplicationShutdown(): void {
    this.http.close();
  }
}
