import { AgentCard, Message, Part, Role, TaskState } from '@a2a-js/sdk';
import {
  AgentEvent,
  AgentExecutor,
  DefaultRequestHandler,
  ExecutionEventBus,
  InMemoryTaskStore,
  RequestContext,
} from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import express from 'express';
import { randomUUID } from 'node:crypto';
import { Server } from 'node:http';
import { AddressInfo, Socket } from 'node:net';

/**
 * How the agent handles a message, chosen by the `behaviour` of the data part's `parameters`:
 * - complete (default): a task that completes at once with one artifact (the parameters echoed)
 * - message: a direct message reply, no task
 * - working-then-complete: a task that is `working` for `ms` (default 600) ms, then completes
 * - fail, reject, input-required, auth-required: a task that ends in that state with a status
 *   message (`text`, default "cannot do that")
 * - hang: a task that stays `working` until it is cancelled
 */
export type A2aBehaviour =
  | 'complete'
  | 'message'
  | 'working-then-complete'
  | 'fail'
  | 'reject'
  | 'input-required'
  | 'auth-required'
  | 'hang';

/** What the card endpoint serves: the card, 404, text that is not JSON, or a card without JSON-RPC. */
export type CardMode = 'ok' | 'missing' | 'not-json' | 'no-json-rpc';

/** One JSON-RPC call as it arrived: its method (as spelled on the wire) and the task id it named. */
export interface RecordedCall {
  method: string;
  taskId?: string;
}

const textPart = (text: string): Part => ({
  content: { $case: 'text', value: text },
  metadata: undefined,
  filename: '',
  mediaType: 'text/plain',
});

const dataPart = (data: unknown): Part => ({
  content: { $case: 'data', value: data },
  metadata: undefined,
  filename: '',
  mediaType: 'application/json',
});

const agentMessage = (taskId: string, contextId: string, text: string): Message => ({
  messageId: randomUUID(),
  contextId,
  taskId,
  role: Role.ROLE_AGENT,
  parts: [textPart(text)],
  metadata: undefined,
  extensions: [],
  referenceTaskIds: [],
});

/** The test agent's logic, on the SDK's executor interface. */
class Executor implements AgentExecutor {
  private readonly running = new Map<string, () => void>();

  async execute(context: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const { taskId, contextId, userMessage } = context;
    const data = userMessage.parts.find((part) => part.content?.$case === 'data')?.content;
    const input = (data?.$case === 'data' ? data.value : {}) as {
      taskType?: string;
      parameters?: Record<string, unknown>;
    };
    const name = userMessage.parts.find((part) => part.content?.$case === 'text')?.content;
    const parameters = input.parameters ?? {};
    const behaviour = (parameters.behaviour as A2aBehaviour | undefined) ?? 'complete';
    const text = typeof parameters.text === 'string' ? parameters.text : 'cannot do that';
    const status = (state: TaskState, message?: string) =>
      AgentEvent.statusUpdate({
        taskId,
        contextId,
        status: {
          state,
          message: message ? agentMessage(taskId, contextId, message) : undefined,
          timestamp: new Date().toISOString(),
        },
        metadata: undefined,
      });
    const complete = () => {
      bus.publish(
        AgentEvent.artifactUpdate({
          taskId,
          contextId,
          artifact: {
            artifactId: 'echo',
            name: 'echo',
            description: '',
            parts: [
              dataPart({ taskType: input.taskType, parameters }),
              textPart(name?.$case === 'text' ? name.value : ''),
            ],
            metadata: undefined,
            extensions: [],
          },
          append: false,
          lastChunk: true,
          metadata: undefined,
        }),
      );
      bus.publish(status(TaskState.TASK_STATE_COMPLETED));
    };

    if (behaviour === 'message') {
      const reply = agentMessage('', contextId, 'done');
      reply.parts.push(dataPart({ echo: parameters }));
      bus.publish(AgentEvent.message(reply));
      bus.finished();
      return;
    }
    const initial =
      behaviour === 'complete' ? TaskState.TASK_STATE_SUBMITTED : TaskState.TASK_STATE_WORKING;
    bus.publish(
      AgentEvent.task({
        id: taskId,
        contextId,
        status: { state: initial, message: undefined, timestamp: new Date().toISOString() },
        artifacts: [],
        history: [],
        metadata: undefined,
      }),
    );
    switch (behaviour) {
      case 'complete':
        complete();
        break;
      case 'working-then-complete':
        await new Promise((resolve) => setTimeout(resolve, Number(parameters.ms ?? 600)));
        complete();
        break;
      case 'fail':
        bus.publish(status(TaskState.TASK_STATE_FAILED, text));
        break;
      case 'reject':
        bus.publish(status(TaskState.TASK_STATE_REJECTED, text));
        break;
      case 'input-required':
        bus.publish(status(TaskState.TASK_STATE_INPUT_REQUIRED, text));
        break;
      case 'auth-required':
        bus.publish(status(TaskState.TASK_STATE_AUTH_REQUIRED, text));
        break;
      case 'hang':
        await new Promise<void>((resolve) => this.running.set(taskId, resolve));
        break;
    }
    bus.finished();
  }

  async cancelTask(taskId: string, bus: ExecutionEventBus): Promise<void> {
    bus.publish(
      AgentEvent.statusUpdate({
        taskId,
        contextId: '',
        status: {
          state: TaskState.TASK_STATE_CANCELED,
          message: undefined,
          timestamp: new Date().toISOString(),
        },
        metadata: undefined,
      }),
    );
    this.running.get(taskId)?.();
    this.running.delete(taskId);
  }

  releaseAll(): void {
    for (const release of this.running.values()) release();
    this.running.clear();
  }
}

/**
 * A real A2A agent on 127.0.0.1 (random port) for e2e tests, built with the official SDK's server
 * side (`@a2a-js/sdk/server`, its Express handlers): the card at
 * `<url>/.well-known/agent-card.json`, JSON-RPC at `<url>/rpc`. `version` is the protocol its
 * card advertises: "0.3" makes the SDK's client speak the 0.3 methods (`message/send`,
 * `tasks/get`, `tasks/cancel`) through the server's 0.3 compatibility layer.
 */
export class A2aTestAgent {
  /** Every JSON-RPC call, in order. */
  readonly calls: RecordedCall[] = [];
  /** How many times the card was read. */
  cardReads = 0;
  cardMode: CardMode = 'ok';
  /** When set, the JSON-RPC url the card names instead of the agent's own. */
  rpcUrl: string | undefined;
  private readonly executor = new Executor();
  private readonly sockets = new Set<Socket>();
  private server!: Server;
  private port = 0;

  private constructor(
    readonly skills: string[],
    readonly version: '1.0' | '0.3',
  ) {}

  static async start(
    options: { skills?: string[]; version?: '1.0' | '0.3' } = {},
  ): Promise<A2aTestAgent> {
    const agent = new A2aTestAgent(options.skills ?? ['a2a-echo'], options.version ?? '0.3');
    await agent.listen();
    return agent;
  }

  /** The agent's A2A base URL: its endpointUrl in Ymera. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/agent`;
  }

  callsFor(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  card(): AgentCard {
    return {
      name: 'Ymera A2A test agent',
      description: 'Echoes what it is sent',
      supportedInterfaces:
        this.cardMode === 'no-json-rpc'
          ? [
              {
                url: `${this.url}/rest`,
                protocolBinding: 'HTTP+JSON',
                tenant: '',
                protocolVersion: this.version,
              },
            ]
          : [
              {
                url: this.rpcUrl ?? `${this.url}/rpc`,
                protocolBinding: 'JSONRPC',
                tenant: '',
                protocolVersion: this.version,
              },
            ],
      provider: undefined,
      version: '1.0.0',
      capabilities: { streaming: false, pushNotifications: false, extensions: [] },
      securitySchemes: {},
      securityRequirements: [],
      defaultInputModes: ['application/json', 'text/plain'],
      defaultOutputModes: ['application/json', 'text/plain'],
      skills: this.skills.map((id) => ({
        id,
        name: id,
        description: `does ${id}`,
        tags: [],
        examples: [],
        inputModes: [],
        outputModes: [],
        securityRequirements: [],
      })),
      signatures: [],
    };
  }

  async stop(): Promise<void> {
    this.executor.releaseAll();
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async listen(): Promise<void> {
    const app = express();
    this.server = app.listen(0, '127.0.0.1');
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server.once('listening', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    // Routes once the port is known: the card names the agent's own URL.
    const handler = new DefaultRequestHandler(this.card(), new InMemoryTaskStore(), this.executor);
    app.use('/agent/.well-known/agent-card.json', (req, res, next) => {
      this.cardReads += 1;
      if (this.cardMode === 'missing') return void res.status(404).send('no card here');
      if (this.cardMode === 'not-json') return void res.status(200).send('<html>hello</html>');
      next();
    });
    app.use(
      '/agent/.well-known/agent-card.json',
      agentCardHandler({ agentCardProvider: async () => this.card(), cache: { maxAge: 0 } }),
    );
    app.use('/agent/rpc', express.json(), (req, _res, next) => {
      const body = req.body as { method?: string; params?: { id?: string } };
      this.calls.push({ method: String(body?.method), taskId: body?.params?.id });
      next();
    });
    app.use(
      '/agent/rpc',
      jsonRpcHandler({
        requestHandler: handler,
        userBuilder: UserBuilder.noAuthentication,
        legacyCompat: { enabled: true },
      }),
    );
  }
}
