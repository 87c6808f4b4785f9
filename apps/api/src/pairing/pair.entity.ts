import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Two paired users, stored once with their ids in order (userLow < userHigh). */
@Entity('pairs')
@Index('uq_pairs_users', ['userLow', 'userHigh'], { unique: true })
@Index('idx_pairs_user_high', ['userHigh'])
export class PairEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'user_low', type: 'varchar', length: 36 })
  userLow!: string;

  @Column({ name: 'user_high', type: 'varchar', length: 36 })
  userHigh!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
