import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/decorators/api-problem-responses.decorator';
import { Client, ClientContext } from '../common/decorators/client-context.decorator';
import { AuthenticatedUser, CurrentUser } from '../common/decorators/current-user.decorator';
import { IdParam } from '../common/decorators/id-param.decorator';
import { ApiPage } from '../common/pagination/api-page.decorator';
import { ListQueryDto } from '../common/pagination/list-query.dto';
import { Page } from '../common/pagination/page';
import { ApiKeysErrorCode } from './api-keys.errors';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto';
import { CREATE_API_KEY_EXAMPLE, CreateApiKeyDto } from './dto/create-api-key.dto';

/**
 * A user's API keys, managed with the user's access token only: no route here has @Scopes, so an
 * API key can neither list, create nor revoke keys (403).
 */
@ApiTags('api-keys')
@ApiBearerAuth()
@Controller({ path: 'api-keys', version: '1' })
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @ApiOperation({
    summary: 'Create an API key',
    description:
      'Creates an API key for scripts, CI and services acting for the caller: sent as ' +
      '`Authorization: Bearer <key>`, it acts as the caller, limited to its scopes (403 outside ' +
      'them; never on admin, auth, users or API key routes) until it expires or is revoked ' +
      '(401). The key is shown in this answer only. Needs the access token, not an API key. ' +
      'Recorded as apikey.create.',
  })
  @ApiBody({
    type: CreateApiKeyDto,
    examples: { ci: { summary: 'A key for a CI pipeline', value: CREATE_API_KEY_EXAMPLE } },
  })
  @ApiCreatedResponse({ type: CreatedApiKeyDto, description: 'The key is shown only here' })
  create(
    @CurrentUser() user: AuthenticatedUser,
    @Body() dto: CreateApiKeyDto,
    @Client() client: ClientContext,
  ): Promise<CreatedApiKeyDto> {
    return this.apiKeys.create(user, dto, client);
  }

  @Get()
  @ApiOperation({
    summary: 'List API keys',
    description:
      "The caller's own API keys (an admin's too: nobody lists anyone else's), newest first, " +
      'without the keys themselves: their prefix tells them apart.',
  })
  @ApiPage(ApiKeyDto, 'Your API keys, newest first')
  list(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: ListQueryDto,
  ): Promise<Page<ApiKeyDto>> {
    return this.apiKeys.list(user, query);
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Revoke an API key',
    description:
      "Deletes one of the caller's API keys: it stops working at once, on every api process. " +
      "404 when there is no such key or it is someone else's. Recorded as apikey.revoke.",
  })
  @ApiParam({
    name: 'id',
    format: 'uuid',
    description: 'The id of the key (from GET /api/v1/api-keys)',
  })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiProblemResponses({
    status: 404,
    description: 'No such API key, or not yours',
    code: ApiKeysErrorCode.ApiKeyNotFound,
  })
  revoke(
    @CurrentUser() user: AuthenticatedUser,
    @IdParam() id: string,
    @Client() client: ClientContext,
  ): Promise<void> {
    return this.apiKeys.revoke(user, id, client);
  }
}
