import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One request of a new device to receive the account identity from an existing device. Holds only
 * public data, the hash of the link token and, once completed, the sealed (end-to-end encrypted)
 * identity until the new device has fetched it. Deleted on delivery, on revocation of the new
 * device, or by the sweep after expiry. The new device's ephemeral key is not here: it travels only
 * in the code (migration 1764095000000 dropped the column).
 *
 * Binary columns say `blob` because TypeORM's SQLite driver has no `varbinary`; on MySQL the
 * migrations give them exact widths (`varbinary(32)`, `(1024)`, `(12)`, checked by the e2e schema
 * test), and the request DTOs enforce the same lengths before any write.
 */
@Entity('device_links')
@Index('idx_device_links_user', ['userId'])
@Index('uq_device_links_device', ['deviceId'], { unique: true })
@Index('idx_device_links_expires', ['expiresAt'])
export class DeviceLinkEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  /** The new device; at most one open link each. */
  @Column({ name: 'device_id', type: 'varchar', length: 36 })
  deviceId!: string;

  /** Hex SHA-256 of the link token; the token itself is only ever in the code. */
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;

  /** Set once, by the single successful completion. */
  @Column({ name: 'completed_at', type: 'datetime', precision: 3, nullable: true })
  completedAt!: Date | null;

  @Column({ name: 'completed_by_device_id', type: 'varchar', length: 36, nullable: true })
  completedByDeviceId!: string | null;

  /** The completing device's ephemeral X25519 public key. */
  @Column({ name: 'sealer_public_key', type: 'blob', nullable: true })
  sealerPublicKey!: Buffer | null;

  /** AES-256-GCM ciphertext of the identity key pair: opaque to the server. */
  @Column({ type: 'blob', nullable: true })
  ciphertext!: Buffer | null;

  @Column({ type: 'blob', nullable: true })
  iv!: Buffer | null;
}
