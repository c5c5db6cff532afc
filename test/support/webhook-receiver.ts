import { EventEmitter } from 'node:events';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo, Socket } from 'node:net';

/** One request a webhook URL received. */
export interface ReceivedDelivery {
  /** The path the webhook's url named (one path per webhook in the tests). */
  path: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as received, for the signature. */
  raw: string;
  /** Its JSON, for matching. */
  body: { type: string; timestamp: string; data: { taskId: string; eventId: number } };
}

/** How the receiver answers a delivery: a status, or never ('hang', until the sender goes away). */
export type Answer = number | 'hang';

/**
 * A webhook receiver on 127.0.0.1 (random port) for e2e tests: records every request and answers
 * as `answer` says (200 by default).
 */
export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  answer: (delivery: ReceivedDelivery, earlier: ReceivedDelivery[]) => Answer = () => 200;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly events = new EventEmitter();
  private port = 0;

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const delivery: ReceivedDelivery = {
          path: req.url ?? '',
          headers: req.headers,
          raw,
          body: JSON.parse(raw) as ReceivedDelivery['body'],
        };
        const earlier = this.received.filter(
          (seen) => seen.headers['webhook-id'] === delivery.headers['webhook-id'],
        );
        const answer = this.answer(delivery, earlier);
        this.received.push(delivery);
        this.events.emit('delivery', delivery);
        if (answer !== 'hang') res.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    receiver.port = (receiver.server.address() as AddressInfo).port;
    return receiver;
  }

  /** A URL of this receiver; each webhook of a test gets its own path. */
  url(path: string): string {
    return `http://127.0.0.1:${this.port}/${path}`;
  }

  at(path: string): ReceivedDelivery[] {
    return this.received.filter((delivery) => delivery.path === `/${path}`);
  }

  /** Resolves with the first delivery (already received or still to come) that matches. */
  waitFor(
    match: (delivery: ReceivedDelivery) => boolean,
    timeoutMs = 20_000,
  ): Promise<ReceivedDelivery> {
    const found = this.received.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off('delivery', listener);
        reject(new Error(`the webhook receiver got no matching delivery within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (delivery: ReceivedDelivery) => {
        if (!match(delivery)) return;
        clearTimeout(timer);
        this.events.off('delivery', listener);
        resolve(delivery);
      };
      this.events.on('delivery', listener);
    });
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
