import { ApiPropertyOptional } from '@nestjs/swagger';
import { RECEIPTS_PAGE_MAX } from '@pairchat/messaging';
import { Type } from 'class-transformer';
import { IsISO8601, IsInt, IsOptional, Max, Min } from 'class-validator';

export class ReceiptListQueryDto {
  @ApiPropertyOptional({ description: `Page size (1-${RECEIPTS_PAGE_MAX})`, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(RECEIPTS_PAGE_MAX)
  limit?: number;

  @ApiPropertyOptional({
    description: 'Only messages sent before this time (ISO-8601): the previous page’s last sentAt',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  before?: string;
}
