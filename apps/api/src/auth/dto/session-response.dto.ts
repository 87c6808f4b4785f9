import { ApiProperty } from '@nestjs/swagger';
import type { DeviceDto, MeDto, SessionDto, UserDto } from '@pairchat/messaging';
import { DeviceResponseDto } from '../../devices/dto/device-response.dto.js';
import { UserResponseDto } from '../../users/dto/user-response.dto.js';

export class SessionResponseDto implements SessionDto {
  @ApiProperty({
    description: 'JWT for `Authorization: Bearer`',
    example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl',
  })
  accessToken!: string;

  @ApiProperty({ description: 'When the access token expires (ISO-8601)', example: '2026-11-25T18:15:00.000Z' })
  accessTokenExpiresAt!: string;

  @ApiProperty({
    description: 'Single-use token for POST /auth/refresh',
    example: 'pV0m7oWc3m0m4x8yQe9Jq6f2l1c0Zs8kR3tY5uI7oP0',
  })
  refreshToken!: string;

  @ApiProperty({
    description: 'The logged-in user',
    type: UserResponseDto,
    example: {
      id: '0b6f4a8e-5d7c-4e0b-9a53-1f2e3d4c5b6a',
      handle: 'alice.smith',
      createdAt: '2026-11-25T18:00:00.000Z',
    },
  })
  user!: UserDto;

  @ApiProperty({
    description: 'The device this session belongs to',
    type: DeviceResponseDto,
    example: {
      id: '3d0c1b7a-8e4f-4f6a-b2c1-9a8b7c6d5e4f',
      name: 'Web browser',
      registrationId: null,
      createdAt: '2026-11-25T18:00:00.000Z',
      lastSeenAt: '2026-11-25T18:00:00.000Z',
      current: true,
    },
  })
  device!: DeviceDto;
}

export class MeResponseDto extends UserResponseDto implements MeDto {
  @ApiProperty({
    description: 'The device making this request',
    type: DeviceResponseDto,
    example: {
      id: '3d0c1b7a-8e4f-4f6a-b2c1-9a8b7c6d5e4f',
      name: 'Web browser',
      registrationId: 4711,
      createdAt: '2026-11-25T18:00:00.000Z',
      lastSeenAt: '2026-11-25T18:30:00.000Z',
      current: true,
    },
  })
  device!: DeviceDto;
}
