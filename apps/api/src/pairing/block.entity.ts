import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** blockerId blocks blockedId. Only the blocker can see it. */
@Entity('blocks')
@Index('uq_blocks_users', ['blockerId', 'blockedId'], { unique: true })
@Index('idx_blocks_blocked', ['blockedId'])
export class BlockEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'blocker_id', type: 'varchar', length: 36 })
  blockerId!: string;

  @Column({ name: 'blocked_id', type: 'varchar', length: 36 })
  blockedId!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
