import { ApiProperty } from '@nestjs/swagger';
import type { UserDto } from '@pairchat/messaging';

export class UserResponseDto implements UserDto {
  @ApiProperty({ description: 'User id', format: 'uuid', example: '0b6f4a8e-5d7c-4e0b-9a53-1f2e3d4c5b6a' })
  id!: string;

  @ApiProperty({ description: 'Public handle, lowercase', example: 'alice.smith' })
  handle!: string;

  @ApiProperty({ description: 'When the account was created (ISO-8601)', example: '2026-11-25T18:00:00.000Z' })
  createdAt!: string;
}
