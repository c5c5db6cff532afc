import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import { AgentReply, MAX_ERROR_BODY_BYTES, MAX_REPLY_BYTES } from './classify';

export interface HttpDispatchRequest {
  url: URL;
  /** Answers every DNS lookup with the address the SSRF policy checked (no rebinding). */
  lookup: LookupFunction;
  /** POST (the default) with a JSON body, or GET without one. */
  method?: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Aborts the request early, e.g. when the worker shuts down. */
  signal?: AbortSignal;
  abortReason?: string;
}

const SOCKET_POOL = { keepAlive: true, maxSockets: 512, maxFreeSockets: 64, scheduling: 'lifo' };

/**
 * Sends one request (a JSON POST, or a GET) to a pinned address and reads the reply within a
 * deadline, never more than MAX_REPLY_BYTES (of a non-2xx reply, whose body only explains the
 * failure, MAX_ERROR_BODY_BYTES) and never following a redirect. Resolves with what happened;
 * never rejects. Both protocols use it: http dispatch directly, A2A as the SDK's fetch.
 */
@Injectable()
export class HttpTransport implements OnApplicationShutdown {
  private readonly httpAgent = new http.Agent(SOCKET_POOL as http.AgentOptions);
  private readonly httpsAgent = new https.Agent(SOCKET_POOL as https.AgentOptions);

  send(request: HttpDispatchRequest): Promise<AgentReply> {
    return new Promise<AgentReply>((resolve) => {
      const controller = new AbortController();
      let settled = false;
      const settle = (reply: AgentReply) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        resolve(reply);
      };
      // A non-2xx reply whose body is being read: cut off (deadline, reset), it is still what the
      // agent answered, with what arrived of its body.
      let failing: { status: number; chunks: Buffer[] } | undefined;
      const failed = (): AgentReply | undefined =>
        failing && {
          kind: 'response',
          status: failing.status,
          body: Buffer.concat(failing.chunks),
          oversized: false,
        };
      const timer = setTimeout(() => {
        settle(failed() ?? { kind: 'timeout', timeoutMs: request.timeoutMs });
        controller.abort();
      }, request.timeoutMs);
      const onAbort = () => {
        settle({ kind: 'aborted', reason: request.abortReason ?? 'the dispatch was aborted' });
        controller.abort();
      };
      if (request.signal?.aborted) return onAbort();
      request.signal?.addEventListener('abort', onAbort, { once: true });

      const { url, body } = request;
      const secure = url.protocol === 'https:';
      const outgoing = (secure ? https : http).request(
        {
          protocol: url.protocol,
          // URL keeps IPv6 literals in brackets; the socket layer wants the bare address.
          hostname: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port || (secure ? 443 : 80),
          path: `${url.pathname}${url.search}`,
          method: request.method ?? 'POST',
          headers:
            body === undefined
              ? request.headers
              : {
                  ...request.headers,
                  'content-type': 'application/json',
                  'content-length': String(Buffer.byteLength(body)),
                },
          agent: secure ? this.httpsAgent : this.httpAgent,
          lookup: request.lookup,
          signal: controller.signal,
        },
        (response) => {
          const status = response.statusCode ?? 0;
          const success = status >= 200 && status < 300;
          const limit = success ? MAX_REPLY_BYTES : MAX_ERROR_BODY_BYTES;
          const chunks: Buffer[] = [];
          if (!success) failing = { status, chunks };
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            if (size + chunk.length > limit) {
              if (success) {
                settle({ kind: 'response', status, body: Buffer.alloc(0), oversized: true });
              } else {
                // The start of an error's body is all that is kept of it.
                chunks.push(chunk.subarray(0, limit - size));
                settle({ kind: 'response', status, body: Buffer.concat(chunks), oversized: false });
              }
              outgoing.destroy();
              return;
            }
            size += chunk.length;
            chunks.push(chunk);
          });
          response.on('end', () =>
            settle({ kind: 'response', status, body: Buffer.concat(chunks), oversized: false }),
          );
          const cutOff = (error: { code?: string; message: string }) =>
            settle(failed() ?? { kind: 'network', code: error.code, message: error.message });
          response.on('error', (error: NodeJS.ErrnoException) => cutOff(error));
          response.on('aborted', () =>
            cutOff({ code: 'ECONNRESET', message: 'the reply was cut off' }),
          );
        },
      );
      outgoing.on('error', (error: NodeJS.ErrnoException) =>
        settle(failed() ?? { kind: 'network', code: error.code, message: error.message }),
      );
      outgoing.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  onApplicationShutdown(): void {
    this.close();
  }
}
