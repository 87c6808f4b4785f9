import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type {
  DeviceAddressList,
  DeviceBundleWire,
  EcPreKeyWire,
  KeysUploadRequest,
  KyberPreKeyWire,
  PreKeyBundleResponse,
  PreKeyCountResponse,
  SignedEcPreKeyWire,
} from '@pairchat/keys';

type DeviceAddressEntry = DeviceAddressList['devices'][number];

// Documentation of the key directory's bodies. Validation is the shared zod schema in @pairchat/keys
// (decodeKeysUpload), which also checks every byte length, key type byte and signature.

const EC_KEY = 'BQ3uZ8Rb1qv3Sd8p0sF5Vf2pD3m7nJk2Lr8gQW4xY9zA';
const SIGNATURE = 'y8O0rQZ0n1T8m3K2gV5m4cX9d2Q7aB1cE6fH0iJ3kL5mN8pR2sT4uW6xY8zA1bC3dE5fG7hJ9kL1mN3pQ5rS7tUw==';
const KYBER_KEY = 'CMz5...(2092 base64 characters: 0x08 || 1568-byte Kyber1024 public key)';

export class EcPreKeyDto implements EcPreKeyWire {
  @ApiProperty({ description: 'Key id, unique per device (1..16777215)', example: 1001, minimum: 1, maximum: 0xffffff })
  keyId!: number;

  @ApiProperty({ description: 'Curve25519 public key: base64 of 0x05 || 32 bytes', example: EC_KEY })
  publicKey!: string;
}

export class SignedEcPreKeyDto extends EcPreKeyDto implements SignedEcPreKeyWire {
  @ApiProperty({
    description: 'XEdDSA signature by the identity key over the serialised public key (64 bytes, base64)',
    example: SIGNATURE,
  })
  signature!: string;
}

export class KyberPreKeyDto implements KyberPreKeyWire {
  @ApiProperty({ description: 'Key id, unique per device (1..16777215)', example: 77, minimum: 1, maximum: 0xffffff })
  keyId!: number;

  @ApiProperty({ description: 'Kyber1024 (round 3) public key: base64 of 0x08 || 1568 bytes', example: KYBER_KEY })
  publicKey!: string;

  @ApiProperty({
    description: 'XEdDSA signature by the identity key over the serialised public key',
    example: SIGNATURE,
  })
  signature!: string;
}

export class KeysUploadRequestDto implements KeysUploadRequest {
  @ApiProperty({
    description: "The account's identity public key (base64 of 0x05 || 32 bytes); fixed once set",
    example: EC_KEY,
  })
  identityKey!: string;

  @ApiPropertyOptional({
    description: "This device's Signal registration id (1..16380); required until the device has one",
    example: 4242,
  })
  registrationId?: number;

  @ApiPropertyOptional({
    type: SignedEcPreKeyDto,
    description: 'New signed EC prekey (required on the first upload); replaces the current one',
  })
  signedPreKey?: SignedEcPreKeyDto;

  @ApiPropertyOptional({
    type: KyberPreKeyDto,
    description: 'New last-resort Kyber prekey (required on the first upload); replaces the current one',
  })
  lastResortKyberPreKey?: KyberPreKeyDto;

  @ApiPropertyOptional({
    type: [EcPreKeyDto],
    description: 'One-time EC prekeys, at most 100 per upload',
    maxItems: 100,
  })
  preKeys?: EcPreKeyDto[];

  @ApiPropertyOptional({
    type: [KyberPreKeyDto],
    description: 'One-time Kyber prekeys, at most 100 per upload',
    maxItems: 100,
  })
  kyberPreKeys?: KyberPreKeyDto[];
}

export class DeviceBundleDto implements DeviceBundleWire {
  @ApiProperty({
    description: "The device's API id (envelopes are addressed to it)",
    example: '2b1f1c0e-4d3a-4f7e-9a61-0c2b3d4e5f60',
  })
  deviceId!: string;

  @ApiProperty({ description: 'The device number in Signal protocol addresses (1..127)', example: 1 })
  protocolDeviceId!: number;

  @ApiProperty({ description: 'Signal registration id of the device', example: 4242 })
  registrationId!: number;

  @ApiProperty({ type: SignedEcPreKeyDto, description: 'Current signed EC prekey' })
  signedPreKey!: SignedEcPreKeyDto;

  @ApiProperty({
    type: EcPreKeyDto,
    nullable: true,
    description: 'A one-time EC prekey, claimed for this fetch; null when none is left',
  })
  preKey!: EcPreKeyDto | null;

  @ApiProperty({
    type: KyberPreKeyDto,
    description: 'A one-time Kyber prekey claimed for this fetch, or the last-resort one when none is left',
  })
  kyberPreKey!: KyberPreKeyDto;
}

export class PreKeyBundleResponseDto implements PreKeyBundleResponse {
  @ApiProperty({ description: "The account's identity public key", example: EC_KEY })
  identityKey!: string;

  @ApiProperty({ type: [DeviceBundleDto], description: 'One bundle per active device that has keys' })
  devices!: DeviceBundleDto[];
}

export class DeviceAddressDto implements DeviceAddressEntry {
  @ApiProperty({
    description: "The device's API id (the `senderDeviceId` of its envelopes)",
    example: '2b1f1c0e-4d3a-4f7e-9a61-0c2b3d4e5f60',
  })
  deviceId!: string;

  @ApiProperty({ description: 'The device number in Signal protocol addresses (1..127)', example: 1 })
  protocolDeviceId!: number;

  @ApiProperty({ description: 'Signal registration id of the device', example: 4242 })
  registrationId!: number;
}

export class DeviceAddressListDto implements DeviceAddressList {
  @ApiProperty({ type: [DeviceAddressDto], description: 'Active devices that have keys, by protocol device id' })
  devices!: DeviceAddressDto[];
}

export class PreKeyCountResponseDto implements PreKeyCountResponse {
  @ApiProperty({ description: 'One-time EC prekeys left on the server', example: 87 })
  ecPreKeys!: number;

  @ApiProperty({ description: 'One-time Kyber prekeys left on the server', example: 87 })
  kyberPreKeys!: number;

  @ApiProperty({ description: "This device's number in Signal protocol addresses", example: 1 })
  protocolDeviceId!: number;

  @ApiProperty({ description: 'True when the device should upload more one-time prekeys now', example: false })
  replenish!: boolean;

  @ApiProperty({ description: 'Upload time of the current signed EC prekey', example: '2026-11-25T18:00:00.000Z' })
  signedPreKeyUploadedAt!: string;

  @ApiProperty({
    description: 'Upload time of the current last-resort Kyber prekey',
    example: '2026-11-25T18:00:00.000Z',
  })
  lastResortKyberPreKeyUploadedAt!: string;

  @ApiProperty({
    description: 'True when the signed or last-resort key is older than the rotation interval (2 days)',
    example: false,
  })
  rotationDue!: boolean;
}
