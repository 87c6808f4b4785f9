import { Body, Controller, Get, HttpStatus, Param, Put, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { DeviceAddressList, KeysUploadRequest, PreKeyBundleResponse, PreKeyCountResponse } from '@pairchat/keys';
import { type AuthContext, CurrentAuth } from '../auth/auth-context.js';
import { Authenticated } from '../auth/jwt-auth.guard.js';
import { ApiErrorResponses } from '../common/api-error-response.dto.js';
import { uuidParam } from '../common/validation.js';
import {
  DeviceAddressListDto,
  KeysUploadRequestDto,
  PreKeyBundleResponseDto,
  PreKeyCountResponseDto,
} from './dto/keys.dto.js';
import { PreKeyBundlesQueryDto } from './dto/pre-key-bundles-query.dto.js';
import { KeysService } from './keys.service.js';

const UPLOAD_ERRORS = {
  [HttpStatus.BAD_REQUEST]:
    'INVALID_KEYS: a field is malformed (unknown field, wrong type, bad base64, wrong length or key type, oversize batch, duplicate or reused id, bad signature); `details.fields` names each. REGISTRATION_ID_MISSING. Nothing is stored.',
} as const;

@ApiTags('keys')
@Controller('keys')
@Authenticated()
export class KeysController {
  constructor(private readonly service: KeysService) {}

  // The body is validated by the shared zod schema in the service (typed as the wire interface, so
  // the global class-validator pipe leaves it alone); the DTO class documents it.
  @Put()
  @ApiOperation({
    summary:
      "Upload the calling device's public keys: identity, signed EC prekey, last-resort Kyber prekey, one-time prekeys",
  })
  @ApiBody({ type: KeysUploadRequestDto })
  @ApiOkResponse({ type: PreKeyCountResponseDto })
  @ApiErrorResponses({
    ...UPLOAD_ERRORS,
    [HttpStatus.CONFLICT]:
      'IDENTITY_KEY_MISMATCH: the identity key differs from the account one (see PUT /keys/identity)',
  })
  uploadKeys(@CurrentAuth() auth: AuthContext, @Body() body: KeysUploadRequest): Promise<PreKeyCountResponse> {
    return this.service.upload(auth, body);
  }

  @Put('identity')
  @ApiOperation({
    summary:
      "Reset the account's identity key: every device's prekeys are dropped, this device's new ones stored; other devices must be linked again",
  })
  @ApiBody({ type: KeysUploadRequestDto })
  @ApiOkResponse({ type: PreKeyCountResponseDto })
  @ApiErrorResponses(UPLOAD_ERRORS)
  resetIdentityKey(@CurrentAuth() auth: AuthContext, @Body() body: KeysUploadRequest): Promise<PreKeyCountResponse> {
    return this.service.resetIdentity(auth, body);
  }

  @Get('count')
  @ApiOperation({ summary: 'One-time prekeys the calling device has left, and whether it should replenish or rotate' })
  @ApiOkResponse({ type: PreKeyCountResponseDto })
  @ApiErrorResponses({ [HttpStatus.NOT_FOUND]: 'KEYS_NOT_FOUND: the device has not uploaded keys yet' })
  getPreKeyCount(@CurrentAuth() auth: AuthContext): Promise<PreKeyCountResponse> {
    return this.service.count(auth);
  }

  @Get(':userId/devices')
  @ApiOperation({
    summary:
      "List a paired user's devices that have keys (or the caller's own), with protocol device and registration ids; claims no prekeys",
  })
  @ApiOkResponse({ type: DeviceAddressListDto })
  @ApiErrorResponses({
    [HttpStatus.BAD_REQUEST]: 'VALIDATION_FAILED: the user id is not a UUID',
    [HttpStatus.NOT_FOUND]: 'KEYS_NOT_FOUND: unknown user, not paired, or blocked (one answer for all)',
  })
  listKeyDevices(
    @CurrentAuth() auth: AuthContext,
    @Param('userId', uuidParam('userId')) userId: string,
  ): Promise<DeviceAddressList> {
    return this.service.listDeviceAddresses(auth, userId);
  }

  @Get(':userId')
  @ApiOperation({
    summary:
      "Fetch a paired user's prekey bundles (or the caller's own other devices'), one per device (or per device named in `deviceIds`), claiming one-time prekeys",
  })
  @ApiOkResponse({ type: PreKeyBundleResponseDto })
  @ApiErrorResponses({
    [HttpStatus.BAD_REQUEST]:
      'VALIDATION_FAILED: the user id is not a UUID, or `deviceIds` is not a list of 1-100 UUIDs',
    [HttpStatus.NOT_FOUND]: 'KEYS_NOT_FOUND: unknown user, not paired, blocked, or no keys (one answer for all)',
    [HttpStatus.TOO_MANY_REQUESTS]:
      'KEY_FETCH_RATE_LIMITED: too many fetches for this user; `details.retryAfterSeconds`',
  })
  claimPreKeyBundles(
    @CurrentAuth() auth: AuthContext,
    @Param('userId', uuidParam('userId')) userId: string,
    @Query() query: PreKeyBundlesQueryDto,
  ): Promise<PreKeyBundleResponse> {
    return this.service.claimBundles(auth, userId, query.deviceIds);
  }
}
