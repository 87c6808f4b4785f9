import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { LoginRequestDto } from '@pairchat/messaging';
import {
  DEFAULT_DEVICE_NAME,
  DEVICE_NAME_MAX_LENGTH,
  DEVICE_NAME_MIN_LENGTH,
  REGISTRATION_ID_MAX,
  REGISTRATION_ID_MIN,
} from '@pairchat/messaging';
import { IsInt, IsOptional, IsString, IsUUID, Length, Max, MaxLength, Min, MinLength } from 'class-validator';
import { NormalizeHandle } from './handle.validation.js';
import { PASSWORD_INPUT_MAX_LENGTH } from './user-register-request.dto.js';

export class SessionLoginRequestDto implements LoginRequestDto {
  @ApiProperty({ description: 'Handle (any case)', example: 'alice.smith' })
  @NormalizeHandle()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  handle!: string;

  @ApiProperty({ description: 'Password', example: 'correct horse battery staple' })
  @IsString()
  @MinLength(1)
  @MaxLength(PASSWORD_INPUT_MAX_LENGTH)
  password!: string;

  @ApiPropertyOptional({
    description: `Name for a newly registered device (default "${DEFAULT_DEVICE_NAME}"); ignored with deviceId`,
    example: 'Firefox on laptop',
  })
  @IsOptional()
  @IsString()
  @Length(DEVICE_NAME_MIN_LENGTH, DEVICE_NAME_MAX_LENGTH)
  deviceName?: string;

  @ApiPropertyOptional({
    description: 'Log in again on an existing, non-revoked device of this user instead of registering a new one',
    format: 'uuid',
    example: '3d0c1b7a-8e4f-4f6a-b2c1-9a8b7c6d5e4f',
  })
  @IsOptional()
  @IsUUID()
  deviceId?: string;

  @ApiPropertyOptional({
    description: `Signal registration id of the device (${REGISTRATION_ID_MIN}..${REGISTRATION_ID_MAX})`,
    type: 'integer',
    example: 4711,
  })
  @IsOptional()
  @IsInt()
  @Min(REGISTRATION_ID_MIN)
  @Max(REGISTRATION_ID_MAX)
  registrationId?: number;
}
