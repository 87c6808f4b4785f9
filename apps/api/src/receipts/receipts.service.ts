import { Injectable, OnModuleInit } from '@nestjs/common';
import type { MessageReceiptDto } from '@pairchat/messaging';
import { MessagingService, type DeliveredMessage, type SentMessage } from '../messaging/messaging.service.js';
import { SocketEmitter, userRoom } from '../realtime/socket-emitter.js';

const DEFAULT_PAGE = 50;

/**
 * The statuses the server knows, `sent` and `delivered`, per message and recipient. `delivered` is
 * pushed to every device of the sender when the first recipient device acks; `read` receipts are
 * end-to-end encrypted envelopes and never pass through here.
 */
@Injectable()
export class ReceiptsService implements OnModuleInit {
  constructor(
    private readonly messaging: MessagingService,
    private readonly emitter: SocketEmitter,
  ) {}

  onModuleInit(): void {
    this.messaging.onDelivered((messages) => this.pushDelivered(messages));
  }

  /** Statuses of the messages the caller sent to `otherUserId`, newest first. */
  async listConversation(
    userId: string,
    otherUserId: string,
    limit = DEFAULT_PAGE,
    before?: string,
  ): Promise<MessageReceiptDto[]> {
    const messages = await this.messaging.listSent(userId, otherUserId, limit, before ? Date.parse(before) : undefined);
    return messages.map((m) => this.toDto(m));
  }

  private pushDelivered(messages: DeliveredMessage[]): void {
    for (const m of messages) {
      this.emitter.send('message:status', userRoom(m.senderUserId), {
        messageId: m.messageId,
        clientMessageId: m.clientMessageId,
        recipientUserId: m.recipientUserId,
        status: 'delivered',
        at: new Date(m.deliveredAt).toISOString(),
      });
    }
  }

  private toDto(message: SentMessage): MessageReceiptDto {
    return {
      messageId: message.id,
      clientMessageId: message.clientMessageId,
      recipientUserId: message.recipientUserId,
      status: message.deliveredAt === null ? 'sent' : 'delivered',
      sentAt: new Date(message.createdAt).toISOString(),
      deliveredAt: message.deliveredAt === null ? null : new Date(message.deliveredAt).toISOString(),
    };
  }
}
