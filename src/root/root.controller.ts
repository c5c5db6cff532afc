import { Controller, Get, Redirect, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../common/decorators/public.decorator';

/** Where the API is described: Swagger UI (README, "Quick start"). */
export const DOCS_PATH = '/docs';

/**
 * `GET /` sends a browser (or curl -L) to the API's documentation instead of a 404. Public, as the
 * documentation is; only processes that serve the API have it (a worker answers its own 404).
 * Not an operation of the API, so not in the OpenAPI document.
 */
@ApiExcludeController()
@Public()
@Controller({ version: VERSION_NEUTRAL })
export class RootController {
  @Get()
  @Redirect(DOCS_PATH, 302)
  root(): void {}
}
