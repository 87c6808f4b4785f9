import { ApiProperty } from '@nestjs/swagger';
import type { DeviceDto } from '@pairchat/messaging';

export class DeviceResponseDto implements DeviceDto {
  @ApiProperty({ description: 'Device id', format: 'uuid', example: '3d0c1b7a-8e4f-4f6a-b2c1-9a8b7c6d5e4f' })
  id!: string;

  @ApiProperty({ description: 'Name the user gave the device', example: 'Web browser' })
  name!: string;

  @ApiProperty({
    description: 'Signal registration id (1..16380), null until the device published its keys',
    type: 'integer',
    nullable: true,
    example: 4711,
  })
  registrationId!: number | null;

  @ApiProperty({ description: 'When the device was registered (ISO-8601)', example: '2026-11-25T18:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({
    description: 'Last authenticated request, to the minute (ISO-8601)',
    example: '2026-11-25T18:30:00.000Z',
  })
  lastSeenAt!: string;

  @ApiProperty({ description: 'True for the device that made this request', example: true })
  current!: boolean;
}
