import { Controller, Get, HttpStatus, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { MessageReceiptDto } from '@pairchat/messaging';
import { type AuthContext, CurrentAuth } from '../auth/auth-context.js';
import { Authenticated } from '../auth/jwt-auth.guard.js';
import { ApiErrorResponses } from '../common/api-error-response.dto.js';
import { uuidParam } from '../common/validation.js';
import { MessageReceiptResponseDto } from './dto/message-receipt-response.dto.js';
import { ReceiptListQueryDto } from './dto/receipt-list-query.dto.js';
import { ReceiptsService } from './receipts.service.js';

@ApiTags('receipts')
@Controller('conversations')
@Authenticated()
export class ReceiptsController {
  constructor(private readonly service: ReceiptsService) {}

  @Get(':userId/receipts')
  @ApiOperation({
    summary: 'Server statuses (sent, delivered) of the messages the caller sent to a user, newest first',
  })
  @ApiOkResponse({ type: MessageReceiptResponseDto, isArray: true })
  @ApiErrorResponses({
    [HttpStatus.BAD_REQUEST]: 'VALIDATION_FAILED: the user id is not a UUID, or a bad limit/before',
  })
  listReceipts(
    @CurrentAuth() auth: AuthContext,
    @Param('userId', uuidParam('userId')) userId: string,
    @Query() query: ReceiptListQueryDto,
  ): Promise<MessageReceiptDto[]> {
    return this.service.listConversation(auth.userId, userId, query.limit, query.before);
  }
}
