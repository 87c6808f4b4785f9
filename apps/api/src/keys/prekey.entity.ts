import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** The account's identity public key (`0x05 || u`). Fixed once set; replaced only by an explicit reset. */
@Entity('identity_keys')
export class IdentityKeyEntity {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @Column({ name: 'public_key', type: 'blob' })
  publicKey!: Buffer;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

/** A device's number in Signal protocol addresses (1..127, unique per account), given on its first upload. */
@Entity('device_keys')
export class DeviceKeysEntity {
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 36 })
  deviceId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @Column({ name: 'protocol_device_id', type: 'smallint' })
  protocolDeviceId!: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}

/** Signed EC prekeys; the current one has no `replacedAt`. */
@Entity('signed_prekeys')
export class SignedPreKeyEntity {
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 36 })
  deviceId!: string;

  @PrimaryColumn({ name: 'key_id', type: 'int' })
  keyId!: number;

  @Column({ name: 'public_key', type: 'blob' })
  publicKey!: Buffer;

  @Column({ type: 'blob' })
  signature!: Buffer;

  @Column({ name: 'uploaded_at', type: 'datetime', precision: 3 })
  uploadedAt!: Date;

  @Column({ name: 'replaced_at', type: 'datetime', precision: 3, nullable: true })
  replacedAt!: Date | null;
}

/** Signed Kyber prekeys: one-time ones (deleted when claimed) and last-resort ones (never claimed away). */
@Entity('kyber_prekeys')
export class KyberPreKeyEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'device_id', type: 'varchar', length: 36 })
  deviceId!: string;

  @Column({ name: 'key_id', type: 'int' })
  keyId!: number;

  @Column({ name: 'public_key', type: 'blob' })
  publicKey!: Buffer;

  @Column({ type: 'blob' })
  signature!: Buffer;

  @Column({ name: 'last_resort', type: 'boolean' })
  lastResort!: boolean;

  @Column({ name: 'uploaded_at', type: 'datetime', precision: 3 })
  uploadedAt!: Date;

  @Column({ name: 'replaced_at', type: 'datetime', precision: 3, nullable: true })
  replacedAt!: Date | null;
}

/** One-time EC prekeys, claimed oldest first (by `id`). */
@Entity('ec_prekeys')
export class EcPreKeyEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'device_id', type: 'varchar', length: 36 })
  deviceId!: string;

  @Column({ name: 'key_id', type: 'int' })
  keyId!: number;

  @Column({ name: 'public_key', type: 'blob' })
  publicKey!: Buffer;

  @Column({ name: 'uploaded_at', type: 'datetime', precision: 3 })
  uploadedAt!: Date;
}
