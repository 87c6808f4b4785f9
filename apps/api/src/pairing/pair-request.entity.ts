import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A pending request. Answered requests are deleted. (userLow, userHigh) is the two ids in order and
 * unique: two people have at most one open request between them, whoever sent it.
 */
@Entity('pair_requests')
@Index('uq_pair_requests_users', ['userLow', 'userHigh'], { unique: true })
@Index('idx_pair_requests_from', ['fromUserId'])
@Index('idx_pair_requests_to', ['toUserId'])
export class PairRequestEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'from_user_id', type: 'varchar', length: 36 })
  fromUserId!: string;

  @Column({ name: 'to_user_id', type: 'varchar', length: 36 })
  toUserId!: string;

  @Column({ name: 'user_low', type: 'varchar', length: 36 })
  userLow!: string;

  @Column({ name: 'user_high', type: 'varchar', length: 36 })
  userHigh!: string;

  /** Sent to someone who blocks the sender: the sender sees it pending, the recipient never sees it. */
  @Column({ type: 'boolean' })
  silenced!: boolean;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
