import { INestApplication, RequestMethod, VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json, NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { ProblemDetailsFilter } from './common/filters/problem-details.filter';
import { sendProblem, toProblem } from './common/http/problem';
import { requestId } from './common/http/request-id';
import { createValidationPipe } from './common/http/validation';
import { AppConfig } from './config/app-config';

export const BODY_LIMIT = '1mb';

/** Infrastructure routes keep their unversioned paths (API.md): /health, /health/live, /metrics. */
const UNPREFIXED_ROUTES = [
  { path: 'health', method: RequestMethod.GET },
  { path: 'health/live', method: RequestMethod.GET },
  { path: 'metrics', method: RequestMethod.GET },
];

/**
 * JSON bodies up to 1 MiB. body-parser fails before any Nest route runs, so its errors (413,
 * malformed JSON) are answered here, through the same problem-details mapping as the filter.
 */
function jsonBody() {
  const parse = json({ limit: BODY_LIMIT });
  return (request: Request, response: Response, next: NextFunction) =>
    parse(request, response, (error?: unknown) =>
      error ? sendProblem(response, toProblem(error, request)) : next(),
    );
}

function setUpOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Ymera')
      .setDescription('Register AI agents, submit tasks, and audit who did what.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}

/** Everything main.ts does to an app before it listens; e2e tests use the same. */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.set('trust proxy', config.http.trustProxy);
  app.disable('x-powered-by');
  app.use(requestId);
  app.use(helmet());
  app.enableCors({ origin: config.http.corsOrigins.length ? [...config.http.corsOrigins] : false });
  app.use(jsonBody());
  app.setGlobalPrefix('api', { exclude: UNPREFIXED_ROUTES });
  app.enableVersioning({ type: VersioningType.URI });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.enableShutdownHooks();
  setUpOpenApi(app);
  return app;
}
