import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/decorators/api-problem-responses.decorator';
import { Client, ClientContext } from '../common/decorators/client-context.decorator';
import { Public } from '../common/decorators/public.decorator';
import { AuthErrorCode } from './auth.errors';
import { AuthService } from './auth.service';
import { AuthResponseDto } from './dto/auth-response.dto';
import { LOGIN_EXAMPLE, LoginDto } from './dto/login.dto';
import { RefreshTokenDto } from './dto/refresh-token.dto';
import { REGISTER_EXAMPLE, RegisterDto } from './dto/register.dto';
import { AuthRateLimit } from './rate-limits';

@ApiTags('auth')
@Public()
@ApiTooManyRequestsResponse({ description: 'Rate limited; see Retry-After' })
@Controller({ path: 'auth', version: '1' })
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('register')
  @ApiOperation({
    summary: 'Register',
    description:
      'Creates an account with role user (public; admins are made with the admin CLI, README) ' +
      'and logs it in: the answer holds an access token and a refresh token. 409 when the ' +
      'username or email is taken. Register, login and refresh share a rate limit per client ' +
      'address (429 with Retry-After).',
  })
  @ApiBody({
    type: RegisterDto,
    examples: { ada: { summary: 'A new account', value: REGISTER_EXAMPLE } },
  })
  @AuthRateLimit()
  @ApiCreatedResponse({ type: AuthResponseDto })
  @ApiProblemResponses({
    status: 409,
    description: 'Username or email already taken',
    code: AuthErrorCode.AccountTaken,
  })
  register(@Body() dto: RegisterDto, @Client() client: ClientContext): Promise<AuthResponseDto> {
    return this.auth.register(dto, client);
  }

  @Post('login')
  @ApiOperation({
    summary: 'Log in',
    description:
      'Exchanges a username (or email) and password for an access token (send it as ' +
      '`Authorization: Bearer <accessToken>`; Authorize in Swagger UI) and a refresh token. ' +
      'Public. 401 invalid-credentials for an unknown user, a wrong password or a disabled ' +
      'account alike; rate limited per client address with register and refresh (429).',
  })
  @ApiBody({
    type: LoginDto,
    examples: {
      ada: { summary: 'The account the register example creates', value: LOGIN_EXAMPLE },
    },
  })
  @AuthRateLimit()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiProblemResponses({
    status: 401,
    description: 'Unknown user or wrong password (one answer for both)',
    code: AuthErrorCode.InvalidCredentials,
  })
  login(@Body() dto: LoginDto, @Client() client: ClientContext): Promise<AuthResponseDto> {
    return this.auth.login(dto, client);
  }

  @Post('refresh')
  @ApiOperation({
    summary: 'Refresh the tokens',
    description:
      'Exchanges the refreshToken of the last login or refresh for a new pair; the one presented ' +
      'stops working. Public (the refresh token is the credential). 401 when it is unknown, ' +
      'expired or revoked; presenting a used one again revokes its whole family ' +
      '(auth.token_reuse). Rate limited per client address with register and login (429).',
  })
  @AuthRateLimit()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({
    type: AuthResponseDto,
    description: 'A new pair; the presented token stops working',
  })
  @ApiProblemResponses({
    status: 401,
    description: 'Invalid, expired or reused token (reuse revokes the family)',
    code: AuthErrorCode.InvalidRefreshToken,
  })
  refresh(@Body() dto: RefreshTokenDto, @Client() client: ClientContext): Promise<AuthResponseDto> {
    return this.auth.refresh(dto.refreshToken, client);
  }

  @Post('logout')
  @ApiOperation({
    summary: 'Log out',
    description:
      'Revokes the refresh token presented and every token rotated from the same login, so none ' +
      'can be refreshed again; access tokens already issued run until they expire. Public (the ' +
      'refresh token is the credential); answers 204 for an unknown token too.',
  })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'The token family is revoked' })
  logout(@Body() dto: RefreshTokenDto, @Client() client: ClientContext): Promise<void> {
    return this.auth.logout(dto.refreshToken, client);
  }
}
