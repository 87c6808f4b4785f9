import { ApiProperty } from '@nestjs/swagger';
import { HANDLE_MAX_LENGTH, HANDLE_MIN_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '@pairchat/messaging';
import type { RegisterRequestDto } from '@pairchat/messaging';
import { IsString, MaxLength } from 'class-validator';
import { IsHandle, NormalizeHandle } from './handle.validation.js';

/** Bound on what we hash: far above the password rule, so rule violations still get WEAK_PASSWORD. */
export const PASSWORD_INPUT_MAX_LENGTH = 1024;

export class UserRegisterRequestDto implements RegisterRequestDto {
  @ApiProperty({
    description: `Handle: ${HANDLE_MIN_LENGTH}-${HANDLE_MAX_LENGTH} lowercase letters, digits, _ and ., starting with a letter (input is lowercased)`,
    example: 'alice.smith',
  })
  @NormalizeHandle()
  @IsString()
  @IsHandle()
  handle!: string;

  @ApiProperty({
    description: `Password: ${PASSWORD_MIN_LENGTH}-${PASSWORD_MAX_LENGTH} characters, not the handle, not one repeated character`,
    example: 'correct horse battery staple',
  })
  @IsString()
  @MaxLength(PASSWORD_INPUT_MAX_LENGTH)
  password!: string;
}
