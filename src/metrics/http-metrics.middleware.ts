import { Injectable, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { METHODS } from 'node:http';
import { eventStreamOpenedAt } from '../common/http/event-stream';
import { MetricsService } from './metrics.service';

/** The route label when no route answered: unknown paths, CORS preflights, Swagger UI assets. */
export const UNMATCHED_ROUTE = 'unmatched';
/** Scrapes are not counted: they would only measure Prometheus itself. */
const METRICS_ROUTE = '/metrics';

/** The parts of Express' router we read; Express does not export their types. */
interface RouteLike {
  path?: unknown;
  methods?: Record<string, boolean | undefined>;
}
interface LayerLike {
  route?: RouteLike;
  match?: (path: string) => unknown;
}

/**
 * Whether a route is one a controller handler answers. Nest also binds middleware to paths
 * (Bull Board's, for instance) with Express' all(), which adds the route for every HTTP method;
 * such routes (/api/{*path}) set request.route for requests that then match nothing. (A handler
 * declared with @All() would look the same and be labelled "unmatched"; Ymera has none.)
 */
function isHandlerRoute(route: RouteLike | undefined): route is RouteLike & { path: string } {
  if (typeof route?.path !== 'string') return false;
  const methods = route.methods ?? {};
  return !methods._all && !METHODS.every((method) => methods[method.toLowerCase()]);
}

function handles(route: RouteLike, method: string): boolean {
  const methods = route.methods ?? {};
  const name = method.toLowerCase();
  return Boolean(methods[name] || (name === 'head' && methods.get));
}

/**
 * The route a request was answered by, as its template (/api/v1/tasks/:id), never its raw path, so
 * the label's values are bounded by the routes the app has. Nest registers every route with its
 * full path (prefix and version included) on the application's router.
 */
export function routeTemplate(request: Request): string {
  const matched = request.route as RouteLike | undefined;
  if (isHandlerRoute(matched)) return `${request.baseUrl}${matched.path}`;
  return routeForUnroutedRequest(request);
}

/**
 * Whether a layer's path matches. Express' matcher decodes the parameters once the pattern has
 * matched and throws a URIError (a 400 for the client) when one is not valid percent-encoding
 * (/api/v1/agents/%zz): the path has the route's shape, so that counts as a match.
 */
function layerMatches(layer: LayerLike, path: string): boolean {
  try {
    return Boolean(layer.match?.(path));
  } catch (error) {
    if (error instanceof URIError) return true;
    throw error;
  }
}

/**
 * Requests refused before routing (a body over 1 MiB, malformed JSON, a parameter that is not
 * valid percent-encoding) never get `request.route`; the router's own matchers tell which route
 * they were meant for.
 */
function routeForUnroutedRequest(request: Request): string {
  const router = (request.app as { router?: { stack?: LayerLike[] } }).router;
  const path = request.originalUrl.split('?')[0];
  for (const layer of router?.stack ?? []) {
    const route = layer.route;
    if (isHandlerRoute(route) && handles(route, request.method) && layerMatches(layer, path)) {
      return route.path;
    }
  }
  return UNMATCHED_ROUTE;
}

/**
 * Counts and times every HTTP request when its response is finished, including those refused by
 * body parsing, guards, pipes or the rate limiter. Installed as the first middleware (bootstrap.ts).
 * A request whose client went away before the response finished is not counted, but for an event
 * stream, which its client closing is the usual end of: it is counted then, and timed (whoever
 * ends it) to the moment its headers went out (markEventStream).
 */
@Injectable()
export class HttpMetricsMiddleware {
  private readonly logger = new Logger(HttpMetricsMiddleware.name);

  constructor(private readonly metrics: MetricsService) {}

  readonly handle = (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const observe = () => {
      // An exception thrown by a 'finish' listener is uncaught and ends the process: a request
      // the metrics cannot label is logged, never allowed to stop the server.
      try {
        const route = routeTemplate(request);
        if (route === METRICS_ROUTE) return;
        const ended = eventStreamOpenedAt(response) ?? process.hrtime.bigint();
        const seconds = Number(ended - started) / 1e9;
        this.metrics.httpObserved(request.method, route, response.statusCode, seconds);
      } catch (error) {
        this.logger.error({ err: error, requestId: request.id }, 'HTTP metrics not recorded');
      }
    };
    response.once('finish', observe);
    response.once('close', () => {
      if (!response.writableFinished && eventStreamOpenedAt(response) !== undefined) observe();
    });
    next();
  };
}
