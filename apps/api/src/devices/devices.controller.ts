import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { DeviceDto } from '@pairchat/messaging';
import { Authenticated } from '../auth/jwt-auth.guard.js';
import { type AuthContext, CurrentAuth } from '../auth/auth-context.js';
import { ApiErrorResponses } from '../common/api-error-response.dto.js';
import { uuidParam } from '../common/validation.js';
import { DevicesService } from './devices.service.js';
import { DeviceResponseDto } from './dto/device-response.dto.js';
import { DeviceUpdateRequestDto } from './dto/device-update-request.dto.js';

@ApiTags('devices')
@Controller('devices')
@Authenticated()
export class DevicesController {
  constructor(private readonly service: DevicesService) {}

  @Get()
  @ApiOperation({ summary: "List the caller's active devices" })
  @ApiOkResponse({ type: DeviceResponseDto, isArray: true })
  listDevices(@CurrentAuth() auth: AuthContext): Promise<DeviceDto[]> {
    return this.service.list(auth.userId, auth.deviceId);
  }

  @Patch(':id')
  @ApiOperation({ summary: "Rename a device, or set the current device's registration id" })
  @ApiOkResponse({ type: DeviceResponseDto })
  @ApiErrorResponses({
    [HttpStatus.BAD_REQUEST]: 'VALIDATION_FAILED: bad body or id, or registrationId for another device',
    [HttpStatus.NOT_FOUND]: "DEVICE_NOT_FOUND: no such active device of the caller's",
  })
  updateDevice(
    @CurrentAuth() auth: AuthContext,
    @Param('id', uuidParam()) id: string,
    @Body() dto: DeviceUpdateRequestDto,
  ): Promise<DeviceDto> {
    return this.service.update(auth.userId, auth.deviceId, id, dto);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke a device: its access and refresh tokens stop working at once' })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiErrorResponses({
    [HttpStatus.BAD_REQUEST]: 'VALIDATION_FAILED: the id is not a UUID',
    [HttpStatus.NOT_FOUND]: "DEVICE_NOT_FOUND: no such active device of the caller's",
  })
  revokeDevice(@CurrentAuth() auth: AuthContext, @Param('id', uuidParam()) id: string): Promise<void> {
    return this.service.revoke(auth.userId, id);
  }
}
