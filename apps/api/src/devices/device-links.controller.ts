import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { DeviceLinkCreatedDto, DeviceLinkDto } from '@pairchat/messaging';
import { type AuthContext, CurrentAuth } from '../auth/auth-context.js';
import { Authenticated } from '../auth/jwt-auth.guard.js';
import { ApiErrorResponses } from '../common/api-error-response.dto.js';
import { EmptyObjectBodyPipe, uuidParam } from '../common/validation.js';
import { DeviceLinksService } from './device-links.service.js';
import {
  DeviceLinkCompleteRequestDto,
  DeviceLinkCreatedResponseDto,
  DeviceLinkCreateRequestDto,
  DeviceLinkResponseDto,
} from './dto/device-link.dto.js';

const LINK_NOT_FOUND = "LINK_NOT_FOUND: no such link of the caller's account";

@ApiTags('devices')
@Controller('devices/links')
@Authenticated()
export class DeviceLinksController {
  constructor(private readonly service: DeviceLinksService) {}

  @Post()
  @ApiOperation({
    summary: 'Ask to link this device: open a single-use link (10 minutes) to receive the account identity',
  })
  @ApiCreatedResponse({ type: DeviceLinkCreatedResponseDto })
  @ApiErrorResponses({
    [HttpStatus.BAD_REQUEST]: 'VALIDATION_FAILED: the body must be an empty object',
    [HttpStatus.TOO_MANY_REQUESTS]: 'LINK_RATE_LIMITED: too many links from this device; `details.retryAfterSeconds`',
  })
  createDeviceLink(
    @CurrentAuth() auth: AuthContext,
    @Body(EmptyObjectBodyPipe) _dto: DeviceLinkCreateRequestDto,
  ): Promise<DeviceLinkCreatedDto> {
    return this.service.create(auth);
  }

  @Get(':linkId')
  @ApiOperation({ summary: 'Look up a link of this account (the new device also gets the sealed identity here)' })
  @ApiOkResponse({ type: DeviceLinkResponseDto })
  @ApiErrorResponses({
    [HttpStatus.BAD_REQUEST]: 'VALIDATION_FAILED: the link id is not a UUID',
    [HttpStatus.NOT_FOUND]: LINK_NOT_FOUND,
  })
  getDeviceLink(
    @CurrentAuth() auth: AuthContext,
    @Param('linkId', uuidParam('linkId')) linkId: string,
  ): Promise<DeviceLinkDto> {
    return this.service.get(auth, linkId);
  }

  @Post(':linkId/complete')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Complete a link: send the identity key pair, encrypted to the new device, once' })
  @ApiOkResponse({ type: DeviceLinkResponseDto })
  @ApiErrorResponses({
    [HttpStatus.BAD_REQUEST]: 'VALIDATION_FAILED: bad id, token, key, nonce or ciphertext',
    [HttpStatus.FORBIDDEN]: 'LINK_TOKEN_INVALID: the token is not the one of this link',
    [HttpStatus.NOT_FOUND]: LINK_NOT_FOUND,
    [HttpStatus.CONFLICT]: 'LINK_ALREADY_USED: the link was completed before; LINK_OWN_DEVICE: it is this device’s own',
    [HttpStatus.GONE]: 'LINK_EXPIRED: the link is older than 10 minutes',
  })
  completeDeviceLink(
    @CurrentAuth() auth: AuthContext,
    @Param('linkId', uuidParam('linkId')) linkId: string,
    @Body() dto: DeviceLinkCompleteRequestDto,
  ): Promise<DeviceLinkDto> {
    return this.service.complete(auth, linkId, dto);
  }

  @Delete(':linkId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: "Delete this device's own link (after importing the identity, or to cancel)" })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrorResponses({
    [HttpStatus.BAD_REQUEST]: 'VALIDATION_FAILED: the link id is not a UUID',
    [HttpStatus.NOT_FOUND]: "LINK_NOT_FOUND: no such link of this device's",
  })
  deleteDeviceLink(
    @CurrentAuth() auth: AuthContext,
    @Param('linkId', uuidParam('linkId')) linkId: string,
  ): Promise<void> {
    return this.service.remove(auth, linkId);
  }
}
