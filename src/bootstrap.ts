import { INestApplication, RequestMethod, VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppModule, roleRuns } from './app.module';
import { QUEUE_BOARD_PATH } from './bull-board/queue-board.module';
import { CommonError, CommonErrorCode } from './common/errors/common.errors';
import { ProblemDetailsFilter } from './common/filters/problem-details.filter';
import { answerClientErrors, hostRequired } from './common/http/client-error';
import { buildOpenApiDocument } from './common/http/openapi';
import { jsonBody } from './common/http/json-body';
import { sendProblem, toProblem } from './common/http/problem';
import { requestId } from './common/http/request-id';
import { RequestLogMiddleware } from './common/http/request-log.middleware';
import { createValidationPipe } from './common/http/validation';
import { AppConfig } from './config/app-config';
import { HealthProbes } from './health/health-probes';
import { answerProbesFirst } from './health/probes-first';
import { PROBLEM_CATALOG } from './problem-types';
import { WEBHOOK_DELIVERY_DOCS } from './webhooks/webhooks.openapi';
import { HttpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { MetricsService } from './metrics/metrics.service';

/**
 * Infrastructure routes keep their unversioned paths (README): /health, /health/live, /metrics,
 * Bull Board under /admin/queues (its page, assets and API), and / (a redirect to /docs).
 */
const UNPREFIXED_ROUTES = [
  { path: '/', method: RequestMethod.GET },
  { path: 'health', method: RequestMethod.GET },
  { path: 'health/live', method: RequestMethod.GET },
  { path: 'metrics', method: RequestMethod.GET },
  { path: QUEUE_BOARD_PATH, method: RequestMethod.ALL },
  { path: `${QUEUE_BOARD_PATH}/{*path}`, method: RequestMethod.ALL },
];

/** The paths a worker serves (AppModule gives it no other routes); anything else is a 404 saying so. */
const WORKER_PATHS = new Set(['/health', '/health/live', '/metrics']);

function workerPathsOnly(request: Request, response: Response, next: NextFunction): void {
  if (WORKER_PATHS.has(request.path)) return next();
  const notServed = new CommonError(
    CommonErrorCode.RouteNotFound,
    'A worker process serves only /health and /metrics.',
  );
  sendProblem(response, toProblem(notServed, request));
}

/** Swagger UI at /docs, the document at /docs-json (the same as openapi.json: npm run openapi). */
function setUpOpenApi(app: INestApplication): void {
  SwaggerModule.setup(
    'docs',
    app,
    buildOpenApiDocument(app, PROBLEM_CATALOG, [WEBHOOK_DELIVERY_DOCS]),
    {
      jsonDocumentUrl: 'docs-json',
      // The token given to Authorize is kept in the browser's localStorage and survives a reload.
      swaggerOptions: { persistAuthorization: true },
    },
  );
}

export interface CreateAppOptions {
  /**
   * Build the module graph without constructing providers: nothing connects to PostgreSQL or
   * Redis, nothing can serve requests, but the routes (and so the OpenAPI document) are all there.
   * scripts/openapi.ts uses it.
   */
  preview?: boolean;
}

/** Everything main.ts does to an app before it listens; e2e tests use the same. */
export async function createApp(
  config: AppConfig,
  { preview = false }: CreateAppOptions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
    preview,
  });
  const securityHeaders = helmet();
  if (!preview) {
    app.useLogger(app.get(Logger));
    // A plain GET /health or /health/live is answered before Express and every middleware below,
    // with the same headers and metrics (probes-first.ts).
    const metrics = app.get(MetricsService);
    answerProbesFirst(app.getHttpServer(), {
      probes: app.get(HealthProbes),
      headers: [requestId, securityHeaders],
      observe: (method, route, status, seconds) =>
        metrics.httpObserved(method, route, status, seconds),
    });
    // Requests node:http cannot parse (malformed, head too large) reach neither listener above nor
    // Express: they are answered with problem details from the server's clientError event.
    answerClientErrors(app.getHttpServer());
    // First, so every request is counted, even one refused by body parsing.
    app.use(app.get(HttpMetricsMiddleware).handle);
  }
  app.set('trust proxy', config.http.trustProxy);
  app.disable('x-powered-by');
  // No ETag on API answers: they change with every write, so conditional requests would rarely
  // spare a body, while hashing every body (a page of tasks is tens of kilobytes) costs each one.
  app.set('etag', false);
  app.use(requestId);
  if (!preview) app.use(app.get(RequestLogMiddleware).handle);
  // node:http's own Host check is off (answerClientErrors): this one answers problem details.
  app.use(hostRequired);
  if (!roleRuns(config.role).api) app.use(workerPathsOnly);
  app.use(securityHeaders);
  app.enableCors({ origin: config.http.corsOrigins.length ? [...config.http.corsOrigins] : false });
  app.use(jsonBody());
  app.setGlobalPrefix('api', { exclude: UNPREFIXED_ROUTES });
  app.enableVersioning({ type: VersioningType.URI });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());
  if (roleRuns(config.role).api) setUpOpenApi(app);
  return app;
}
