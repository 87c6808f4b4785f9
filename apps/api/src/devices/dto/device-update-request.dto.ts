import { ApiPropertyOptional } from '@nestjs/swagger';
import type { DeviceUpdateRequestDto as DeviceUpdateRequest } from '@pairchat/messaging';
import {
  DEVICE_NAME_MAX_LENGTH,
  DEVICE_NAME_MIN_LENGTH,
  REGISTRATION_ID_MAX,
  REGISTRATION_ID_MIN,
} from '@pairchat/messaging';
import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';

export class DeviceUpdateRequestDto implements DeviceUpdateRequest {
  @ApiPropertyOptional({
    description: `New name, ${DEVICE_NAME_MIN_LENGTH}-${DEVICE_NAME_MAX_LENGTH} characters`,
    example: 'Laptop',
  })
  @IsOptional()
  @IsString()
  @Length(DEVICE_NAME_MIN_LENGTH, DEVICE_NAME_MAX_LENGTH)
  name?: string;

  @ApiPropertyOptional({
    description: `Signal registration id (${REGISTRATION_ID_MIN}..${REGISTRATION_ID_MAX}); only for the device making the request`,
    type: 'integer',
    example: 4711,
  })
  @IsOptional()
  @IsInt()
  @Min(REGISTRATION_ID_MIN)
  @Max(REGISTRATION_ID_MAX)
  registrationId?: number;
}
