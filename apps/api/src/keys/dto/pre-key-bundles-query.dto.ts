import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsUUID } from 'class-validator';

/** Most device ids one claim may name (an account has at most 100 devices, MAX_DEVICES_PER_USER). */
export const CLAIM_DEVICE_IDS_MAX = 100;

export class PreKeyBundlesQueryDto {
  @ApiPropertyOptional({
    type: String,
    description:
      'Comma-separated device ids: claim bundles only for these devices of the user (those the caller has no session with). ' +
      `Ids that are not active devices with keys are left out of the answer. At most ${CLAIM_DEVICE_IDS_MAX}. Default: every device.`,
    example: '2b1f1c0e-4d3a-4f7e-9a61-0c2b3d4e5f60,6c0d9e8f-1a2b-4c3d-8e4f-5a6b7c8d9e0f',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',') : value))
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(CLAIM_DEVICE_IDS_MAX)
  @IsUUID('all', { each: true })
  deviceIds?: string[];
}
