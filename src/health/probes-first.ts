import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { HealthProbes, LIVENESS } from './health-probes';

/** Middleware that only sets response headers and calls next() before it returns (requestId, helmet). */
export type HeaderStep = (
  request: IncomingMessage,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void;

export interface ProbesFirstOptions {
  probes: Pick<HealthProbes, 'readiness'>;
  /** Run in order on every probe answered here, so its answer carries the headers any answer does. */
  headers: readonly HeaderStep[];
  /** Told of every probe answered here once its response is finished (the HTTP metrics). */
  observe: (method: string, route: string, status: number, seconds: number) => void;
}

interface ProbeAnswer {
  status: number;
  body: object;
}

const PROBES: Readonly<
  Record<string, (probes: ProbesFirstOptions['probes']) => Promise<ProbeAnswer>>
> = {
  '/health': (probes) => probes.readiness(),
  '/health/live': () => Promise.resolve({ status: 200, body: LIVENESS }),
};

/** Runs header steps that finish at once; false if one failed or would continue later. */
function setHeaders(
  steps: readonly HeaderStep[],
  request: IncomingMessage,
  response: ServerResponse,
): boolean {
  for (const step of steps) {
    let done = false;
    step(request, response, (error) => {
      done = error === undefined;
    });
    if (!done) return false;
  }
  return true;
}

/**
 * A request listener that answers a plain GET /health or /health/live itself and hands every
 * other request to `framework` (Express). Express alone costs more per request than the whole
 * probe (9,000 answers per second at 32 connections on the benchmark machine, against 40,000 for
 * node:http), and an orchestrator's probe should not queue behind it. Plain means the exact
 * path and no Origin header, which is what orchestrators and load balancers send; HEAD, a query
 * string or a browser's request go through Express to HealthController, which gives the same
 * answer with CORS applied. So does a readiness check that failed unexpectedly (a 500 in problem
 * details). Probes are not logged either way (logging.ts).
 */
export function probesFirst(
  framework: RequestListener,
  options: ProbesFirstOptions,
): RequestListener {
  return (request, response) => {
    const probe =
      request.method === 'GET' && request.headers.origin === undefined
        ? PROBES[request.url ?? '']
        : undefined;
    if (probe === undefined) return framework(request, response);
    const started = process.hrtime.bigint();
    probe(options.probes).then(
      ({ status, body }) => {
        if (!setHeaders(options.headers, request, response)) return framework(request, response);
        response.once('finish', () => {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          options.observe(request.method!, request.url!, response.statusCode, seconds);
        });
        const json = JSON.stringify(body);
        response.writeHead(status, {
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': Buffer.byteLength(json),
        });
        response.end(json);
      },
      () => framework(request, response),
    );
  };
}

/**
 * Puts probesFirst in front of the one request listener the server has (Express' app). Swapping
 * the listener is what it costs; what it buys (bench/README.md, Targets and Before and after):
 * GET /health at 32 connections answers at a p99 of 3-4 ms instead of 20-22 ms through Express,
 * 21,906-25,919 requests per second instead of 4,194-4,342.
 */
export function answerProbesFirst(server: Server, options: ProbesFirstOptions): void {
  const listeners = server.listeners('request') as RequestListener[];
  if (listeners.length !== 1) {
    throw new Error(`expected one request listener on the HTTP server, found ${listeners.length}`);
  }
  server.removeListener('request', listeners[0]);
  server.on('request', probesFirst(listeners[0], options));
}
