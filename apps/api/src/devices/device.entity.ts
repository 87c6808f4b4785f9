import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('devices')
@Index('idx_devices_user', ['userId'])
export class DeviceEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  /** Signal registration id, set by the device once it has generated its keys. */
  @Column({ name: 'registration_id', type: 'int', nullable: true })
  registrationId!: number | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'last_seen_at', type: 'datetime', precision: 3 })
  lastSeenAt!: Date;

  /** Set when the device is revoked; it then no longer authenticates and is hidden. */
  @Column({ name: 'revoked_at', type: 'datetime', precision: 3, nullable: true })
  revokedAt!: Date | null;

  /**
   * Bumped when the device's sessions end (logout, refresh-token reuse). Access tokens carry the
   * generation they were issued under; an older one no longer authenticates, so ending a session
   * takes effect at once rather than when its tokens expire. A counter, not a time: a login in the
   * same second as the logout must still work, and JWT iat has second resolution.
   */
  @Column({ name: 'session_generation', type: 'int', default: 0 })
  sessionGeneration!: number;
}
