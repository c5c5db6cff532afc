import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/decorators/api-problem-responses.decorator';
import { Client, ClientContext } from '../common/decorators/client-context.decorator';
import { Public } from '../common/decorators/public.decorator';
import { AuthErrorCode } from './auth.errors';
import { AuthService } from './auth.service';
import { AuthResponseDto } from './dto/auth-response.dto';
import { LoginDto } from './dto/login.dto';
import { RefreshTokenDto } from './dto/refresh-token.dto';
import { RegisterDto } from './dto/register.dto';
import { AuthRateLimit } from './rate-limits';

@ApiTags('auth')
@Public()
@ApiTooManyRequestsResponse({ description: 'Rate limited; see Retry-After' })
@Controller({ path: 'auth', version: '1' })
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('register')
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
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'The token family is revoked' })
  logout(@Body() dto: RefreshTokenDto, @Client() client: ClientContext): Promise<void> {
    return this.auth.logout(dto.refreshToken, client);
  }
}
