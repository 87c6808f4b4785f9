import { Body, Controller, Get, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { MeDto, SessionDto, UserDto } from '@pairchat/messaging';
import { ApiErrorResponses } from '../common/api-error-response.dto.js';
import { EmptyObjectBodyPipe } from '../common/validation.js';
import { UserResponseDto } from '../users/dto/user-response.dto.js';
import type { UserEntity } from '../users/user.entity.js';
import { type AuthContext, CurrentAuth } from './auth-context.js';
import { AuthService } from './auth.service.js';
import { MeResponseDto, SessionResponseDto } from './dto/session-response.dto.js';
import { SessionLoginRequestDto } from './dto/session-login-request.dto.js';
import { SessionLogoutRequestDto } from './dto/session-logout-request.dto.js';
import { SessionRefreshRequestDto } from './dto/session-refresh-request.dto.js';
import { UserRegisterRequestDto } from './dto/user-register-request.dto.js';
import { Authenticated } from './jwt-auth.guard.js';
import { LocalAuthGuard, VerifiedUser } from './local.strategy.js';
import { LoginRateLimitGuard, RegisterRateLimitGuard } from './login-rate-limiter.js';

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(private readonly service: AuthService) {}

  @Post('auth/register')
  @UseGuards(RegisterRateLimitGuard)
  @ApiOperation({ summary: 'Create an account' })
  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiErrorResponses({
    [HttpStatus.BAD_REQUEST]:
      'VALIDATION_FAILED: bad handle or body; WEAK_PASSWORD: the password breaks a rule (details.reason)',
    [HttpStatus.CONFLICT]: 'HANDLE_TAKEN',
    [HttpStatus.TOO_MANY_REQUESTS]: 'RATE_LIMITED: too many new accounts from this IP (see Retry-After)',
  })
  registerUser(@Body() dto: UserRegisterRequestDto): Promise<UserDto> {
    return this.service.register(dto);
  }

  @Post('auth/login')
  @HttpCode(HttpStatus.OK)
  @UseGuards(LoginRateLimitGuard, LocalAuthGuard)
  @ApiOperation({ summary: 'Log in: registers a new device (or reuses deviceId) and starts a session' })
  @ApiOkResponse({ type: SessionResponseDto })
  @ApiErrorResponses({
    [HttpStatus.BAD_REQUEST]: 'VALIDATION_FAILED',
    [HttpStatus.UNAUTHORIZED]: 'INVALID_CREDENTIALS: unknown handle or wrong password',
    [HttpStatus.NOT_FOUND]: 'DEVICE_NOT_FOUND: deviceId is not an active device of this user',
    [HttpStatus.CONFLICT]: 'DEVICE_LIMIT_REACHED',
    [HttpStatus.TOO_MANY_REQUESTS]: 'RATE_LIMITED: too many attempts from this IP or for this handle (see Retry-After)',
  })
  loginUser(@VerifiedUser() user: UserEntity, @Body() dto: SessionLoginRequestDto): Promise<SessionDto> {
    return this.service.login(user, dto);
  }

  @Post('auth/refresh')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Exchange a refresh token for a new session (the token is spent)' })
  @ApiOkResponse({ type: SessionResponseDto })
  @ApiErrorResponses({
    [HttpStatus.BAD_REQUEST]: 'VALIDATION_FAILED',
    [HttpStatus.UNAUTHORIZED]:
      'REFRESH_TOKEN_INVALID: unknown, expired or revoked; REFRESH_TOKEN_REUSED: already spent, the whole session is revoked',
  })
  refreshSession(@Body() dto: SessionRefreshRequestDto): Promise<SessionDto> {
    return this.service.refresh(dto.refreshToken);
  }

  @Post('auth/logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @Authenticated()
  @ApiOperation({ summary: "Log out: revokes this device's refresh tokens (the device stays registered)" })
  @ApiNoContentResponse({ description: 'Logged out' })
  @ApiErrorResponses({ [HttpStatus.BAD_REQUEST]: 'VALIDATION_FAILED: the body must be an empty object' })
  logoutSession(
    @CurrentAuth() auth: AuthContext,
    @Body(EmptyObjectBodyPipe) _dto: SessionLogoutRequestDto,
  ): Promise<void> {
    return this.service.logout(auth);
  }

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'The caller: user and current device' })
  @ApiOkResponse({ type: MeResponseDto })
  getMe(@CurrentAuth() auth: AuthContext): Promise<MeDto> {
    return this.service.me(auth);
  }
}
