import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Epoch milliseconds in a bigint column, read back as a number on both dialects. */
export const epochMs = {
  to: (v: number | null) => v,
  from: (v: string | number | null) => (v === null ? null : Number(v)),
};

/**
 * One accepted `message:send`: who sent what to whom, never the content. It is the idempotency
 * record (sender device + client message id) and carries the server-known status (`delivered_at`).
 */
@Entity('messages')
@Index('uq_messages_client_id', ['senderDeviceId', 'clientMessageId'], { unique: true })
@Index('idx_messages_conversation', ['senderUserId', 'recipientUserId', 'createdAt'])
@Index('idx_messages_created', ['createdAt'])
export class MessageEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'sender_user_id', type: 'varchar', length: 36 })
  senderUserId!: string;

  @Column({ name: 'sender_device_id', type: 'varchar', length: 36 })
  senderDeviceId!: string;

  @Column({ name: 'client_message_id', type: 'varchar', length: 64 })
  clientMessageId!: string;

  @Column({ name: 'recipient_user_id', type: 'varchar', length: 36 })
  recipientUserId!: string;

  /** `message` or `receipt` (an encrypted read receipt is queued like a message). */
  @Column({ type: 'varchar', length: 16 })
  kind!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  /** When the first device of the recipient acked; null while only `sent`. */
  @Column({ name: 'delivered_at', type: 'bigint', nullable: true, transformer: epochMs })
  deliveredAt!: number | null;
}
