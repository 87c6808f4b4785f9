import { ApiProperty } from '@nestjs/swagger';
import type { PairRequestCreateDto } from '@pairchat/messaging';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { NormalizeHandle } from '../../auth/dto/handle.validation.js';

export class PairRequestCreateRequestDto implements PairRequestCreateDto {
  @ApiProperty({ description: 'Handle of the person to pair with (any case)', example: 'bob' })
  @NormalizeHandle()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  handle!: string;
}
