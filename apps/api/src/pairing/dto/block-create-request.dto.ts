import { ApiProperty } from '@nestjs/swagger';
import type { BlockCreateDto } from '@pairchat/messaging';
import { IsUUID } from 'class-validator';

export class BlockCreateRequestDto implements BlockCreateDto {
  @ApiProperty({
    description: 'Id of the user to block',
    format: 'uuid',
    example: '7c2e9d10-1b3a-4c5d-8e6f-0a1b2c3d4e5f',
  })
  @IsUUID()
  userId!: string;
}
