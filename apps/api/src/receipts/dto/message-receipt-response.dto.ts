import { ApiProperty } from '@nestjs/swagger';
import type { MessageReceiptDto, ServerStatus } from '@pairchat/messaging';

export class MessageReceiptResponseDto implements MessageReceiptDto {
  @ApiProperty({ description: 'Server message id', format: 'uuid', example: '0b7e5d1c-4f3a-4e2b-9c8d-7a6b5c4d3e2f' })
  messageId!: string;

  @ApiProperty({ description: 'The sending device’s idempotency key', example: 'c-01' })
  clientMessageId!: string;

  @ApiProperty({ description: 'The recipient user', format: 'uuid', example: '3d0c1b7a-8e4f-4f6a-b2c1-9a8b7c6d5e4f' })
  recipientUserId!: string;

  @ApiProperty({
    description: 'Server-known status; only moves forward (read receipts are end-to-end encrypted)',
    enum: ['sent', 'delivered'],
    example: 'delivered',
  })
  status!: ServerStatus;

  @ApiProperty({ description: 'When the server stored the message (ISO-8601)', example: '2026-11-25T18:00:00.000Z' })
  sentAt!: string;

  @ApiProperty({
    description: 'When the first recipient device acked it (ISO-8601)',
    nullable: true,
    type: String,
    example: '2026-11-25T18:00:01.000Z',
  })
  deliveredAt!: string | null;
}
