import { NestExpressApplication } from '@nestjs/platform-express';
import { request as httpRequest, OutgoingHttpHeaders } from 'node:http';
import { AddressInfo, connect } from 'node:net';
import { isEventStream } from './event-stream';

/** An answer read without supertest, shaped like supertest's for the same assertions. */
export interface RawResponse {
  status: number;
  /** Lower-cased names; a repeated header's values joined with ', '. */
  headers: Record<string, string>;
  text: string;
  /** The parsed JSON body, or {} when the body is not JSON (as supertest gives). */
  body: Record<string, unknown>;
}

/** A request the server neither answers nor closes is a failure, not a hung test. */
const ANSWER_TIMEOUT_MS = 10_000;

/** Makes the app listen on a free loopback port (after startApp's init) and returns the port. */
export async function listenOnLoopback(app: NestExpressApplication): Promise<number> {
  await app.listen(0, '127.0.0.1');
  return (app.getHttpServer().address() as AddressInfo).port;
}

function jsonOrEmpty(text: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Sends bytes no HTTP client would (a malformed request line, invalid header names) on a fresh
 * connection and reads the answer until the server closes it. The request should ask for
 * `Connection: close` when it is valid enough to be answered normally.
 */
export function rawExchange(port: number, raw: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(raw));
    socket.setTimeout(ANSWER_TIMEOUT_MS, () =>
      socket.destroy(new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms`)),
    );
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A server may close a connection whose request it refused before reading all of it (the
    // rest of the request then meets a reset or a broken pipe); its answer has been read by then.
    socket.on('error', (error: NodeJS.ErrnoException) =>
      ['ECONNRESET', 'EPIPE'].includes(error.code ?? '') && chunks.length > 0
        ? undefined
        : reject(error),
    );
    socket.on('close', () => {
      const answer = Buffer.concat(chunks).toString('utf8');
      const end = answer.indexOf('\r\n\r\n');
      const [statusLine, ...lines] = answer.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
      }
      const text = answer.slice(end + 4);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? NaN);
      resolve({ status, headers, text, body: jsonOrEmpty(text) });
    });
  });
}

export interface NodeRequest {
  method: string;
  /** Sent as is: node:http does not re-encode a path. */
  path: string;
  /** An object, or [name, value, name, value...] to repeat a header. */
  headers?: OutgoingHttpHeaders | string[];
  body?: string | Buffer;
}

/** A request through node:http's client, which sends paths and headers supertest would refuse. */
export function nodeExchange(port: number, options: NodeRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method,
        path: options.path,
        headers: options.headers,
        agent: false,
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        const answer = () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(incoming.headers)) {
            headers[name] = Array.isArray(value) ? value.join(', ') : (value ?? '');
          }
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: incoming.statusCode ?? NaN, headers, text, body: jsonOrEmpty(text) });
        };
        // An event stream would not end by itself: its opening is the answer.
        if (isEventStream(incoming.headers)) {
          answer();
          incoming.destroy();
          return;
        }
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', answer);
      },
    );
    outgoing.setTimeout(ANSWER_TIMEOUT_MS, () =>
      outgoing.destroy(new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms`)),
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}
