/**
 * Writes openapi.json, the OpenAPI document of the application, at the repository root:
 * `npm run openapi`. The app is built in preview mode, so neither PostgreSQL nor Redis is needed.
 * test/openapi.e2e-spec.ts fails while the checked-in file differs from what this produces.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../src/bootstrap';
import { buildOpenApiDocument, serializeOpenApiDocument } from '../src/common/http/openapi';
import { loadConfig } from '../src/config/app-config';
import { PROBLEM_CATALOG } from '../src/problem-types';
import { WEBHOOK_DELIVERY_DOCS } from '../src/webhooks/webhooks.openapi';

export const OPENAPI_FILE = join(__dirname, '..', 'openapi.json');

/** The document as openapi.json holds it. It depends on the code only, never on the environment. */
export async function generateOpenApiJson(): Promise<string> {
  const config = loadConfig({
    NODE_ENV: 'development',
    APP_ROLE: 'all',
    LOG_LEVEL: 'silent',
    // Never used to sign anything: the app is not started.
    JWT_SECRET: randomBytes(48).toString('base64'),
  });
  const app = await createApp(config, { preview: true });
  try {
    return serializeOpenApiDocument(
      buildOpenApiDocument(app, PROBLEM_CATALOG, [WEBHOOK_DELIVERY_DOCS]),
    );
  } finally {
    await app.close();
  }
}

if (require.main === module) {
  generateOpenApiJson()
    .then((json) => {
      writeFileSync(OPENAPI_FILE, json);
      process.stdout.write(`Wrote ${OPENAPI_FILE}\n`);
    })
    .catch((error: unknown) => {
      process.stderr.write(
        `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    });
}
