import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { PairDto, PairRequestCreateResultDto, PairRequestListDto, UserDto } from '@pairchat/messaging';
import { type AuthContext, CurrentAuth } from '../auth/auth-context.js';
import { Authenticated } from '../auth/jwt-auth.guard.js';
import { ApiErrorResponses } from '../common/api-error-response.dto.js';
import { uuidParam } from '../common/validation.js';
import { UserResponseDto } from '../users/dto/user-response.dto.js';
import { BlockCreateRequestDto } from './dto/block-create-request.dto.js';
import { PairRequestCreateRequestDto } from './dto/pair-request-create-request.dto.js';
import {
  PairRequestCreateResponseDto,
  PairRequestListResponseDto,
  PairResponseDto,
} from './dto/pairing-response.dto.js';
import { PairingService } from './pairing.service.js';

const BAD_ID = { [HttpStatus.BAD_REQUEST]: 'VALIDATION_FAILED: the id is not a UUID' };
const REQUEST_NOT_FOUND = { [HttpStatus.NOT_FOUND]: 'REQUEST_NOT_FOUND' };

@ApiTags('pairing')
@Controller()
@Authenticated()
export class PairingController {
  constructor(private readonly service: PairingService) {}

  @Post('pairs/requests')
  @ApiOperation({ summary: 'Ask someone to pair (accepts their request instead if they already asked me)' })
  @ApiCreatedResponse({ type: PairRequestCreateResponseDto })
  @ApiErrorResponses({
    [HttpStatus.BAD_REQUEST]: 'VALIDATION_FAILED; CANNOT_PAIR_WITH_SELF',
    [HttpStatus.NOT_FOUND]: 'USER_NOT_FOUND',
    [HttpStatus.CONFLICT]: 'ALREADY_PAIRED; REQUEST_EXISTS',
  })
  createPairRequest(
    @CurrentAuth() auth: AuthContext,
    @Body() dto: PairRequestCreateRequestDto,
  ): Promise<PairRequestCreateResultDto> {
    return this.service.createRequest(auth.userId, dto.handle);
  }

  @Get('pairs/requests')
  @ApiOperation({ summary: 'My pending requests, incoming and outgoing' })
  @ApiOkResponse({ type: PairRequestListResponseDto })
  listPairRequests(@CurrentAuth() auth: AuthContext): Promise<PairRequestListDto> {
    return this.service.listRequests(auth.userId);
  }

  @Post('pairs/requests/:id/accept')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Accept a request sent to me' })
  @ApiOkResponse({ type: PairResponseDto })
  @ApiErrorResponses({ ...BAD_ID, ...REQUEST_NOT_FOUND })
  acceptPairRequest(@CurrentAuth() auth: AuthContext, @Param('id', uuidParam()) id: string): Promise<PairDto> {
    return this.service.acceptRequest(auth.userId, id);
  }

  @Post('pairs/requests/:id/decline')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Decline a request sent to me' })
  @ApiNoContentResponse({ description: 'Declined' })
  @ApiErrorResponses({ ...BAD_ID, ...REQUEST_NOT_FOUND })
  declinePairRequest(@CurrentAuth() auth: AuthContext, @Param('id', uuidParam()) id: string): Promise<void> {
    return this.service.declineRequest(auth.userId, id);
  }

  @Delete('pairs/requests/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Cancel a request I sent' })
  @ApiNoContentResponse({ description: 'Cancelled' })
  @ApiErrorResponses({ ...BAD_ID, ...REQUEST_NOT_FOUND })
  cancelPairRequest(@CurrentAuth() auth: AuthContext, @Param('id', uuidParam()) id: string): Promise<void> {
    return this.service.cancelRequest(auth.userId, id);
  }

  @Get('pairs')
  @ApiOperation({ summary: 'The people I am paired with' })
  @ApiOkResponse({ type: PairResponseDto, isArray: true })
  listPairs(@CurrentAuth() auth: AuthContext): Promise<PairDto[]> {
    return this.service.listPairs(auth.userId);
  }

  @Delete('pairs/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Unpair (either member may)' })
  @ApiNoContentResponse({ description: 'Unpaired' })
  @ApiErrorResponses({ ...BAD_ID, [HttpStatus.NOT_FOUND]: 'PAIR_NOT_FOUND' })
  deletePair(@CurrentAuth() auth: AuthContext, @Param('id', uuidParam()) id: string): Promise<void> {
    return this.service.deletePair(auth.userId, id);
  }

  @Post('blocks')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Block a user (idempotent, invisible to them)' })
  @ApiNoContentResponse({ description: 'Blocked' })
  @ApiErrorResponses({
    [HttpStatus.BAD_REQUEST]: 'VALIDATION_FAILED (also for my own id)',
    [HttpStatus.NOT_FOUND]: 'USER_NOT_FOUND',
  })
  blockUser(@CurrentAuth() auth: AuthContext, @Body() dto: BlockCreateRequestDto): Promise<void> {
    return this.service.blockUser(auth.userId, dto.userId);
  }

  @Delete('blocks/:userId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Unblock a user (idempotent)' })
  @ApiNoContentResponse({ description: 'Not blocked (any more)' })
  @ApiErrorResponses({ [HttpStatus.BAD_REQUEST]: 'VALIDATION_FAILED: the user id is not a UUID' })
  unblockUser(@CurrentAuth() auth: AuthContext, @Param('userId', uuidParam('userId')) userId: string): Promise<void> {
    return this.service.unblockUser(auth.userId, userId);
  }

  @Get('blocks')
  @ApiOperation({ summary: 'The users I blocked' })
  @ApiOkResponse({ type: UserResponseDto, isArray: true })
  listBlocks(@CurrentAuth() auth: AuthContext): Promise<UserDto[]> {
    return this.service.listBlocks(auth.userId);
  }
}
