import { ApiProperty } from '@nestjs/swagger';
import type { RefreshRequestDto } from '@pairchat/messaging';
import { IsString, MaxLength, MinLength } from 'class-validator';

export class SessionRefreshRequestDto implements RefreshRequestDto {
  @ApiProperty({
    description: 'The refresh token from the last login or refresh; it is spent by this call',
    example: 'pV0m7oWc3m0m4x8yQe9Jq6f2l1c0Zs8kR3tY5uI7oP0',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  refreshToken!: string;
}
