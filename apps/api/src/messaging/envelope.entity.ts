import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from './message.entity.js';

/**
 * One queued item for one device, deleted when that device acks it. `kind` is `message` or
 * `receipt` (a ciphertext from a sender) or a server notice: `gap` (envelopes expired unread) or
 * `expired` (messages this user sent expired before delivery), whose data is in `notice`.
 * The id is an increasing sequence: the order a device receives its queue in.
 */
@Entity('envelopes')
@Index('idx_envelopes_device', ['deviceId', 'id'])
@Index('idx_envelopes_created', ['createdAt'])
@Index('idx_envelopes_message', ['messageId'])
export class EnvelopeEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'device_id', type: 'varchar', length: 36 })
  deviceId!: string;

  /** Owner of the device. */
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: string;

  @Column({ name: 'message_id', type: 'varchar', length: 36, nullable: true })
  messageId!: string | null;

  @Column({ name: 'sender_user_id', type: 'varchar', length: 36, nullable: true })
  senderUserId!: string | null;

  @Column({ name: 'sender_device_id', type: 'varchar', length: 36, nullable: true })
  senderDeviceId!: string | null;

  /** The message's recipient user: the conversation, seen from a sync copy too. */
  @Column({ name: 'conversation_user_id', type: 'varchar', length: 36, nullable: true })
  conversationUserId!: string | null;

  /** Signal ciphertext message type; 0 for notices. */
  @Column({ type: 'int' })
  type!: number;

  @Column({ type: 'blob', nullable: true })
  ciphertext!: Buffer | null;

  @Column({ type: 'text', nullable: true })
  notice!: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;
}
