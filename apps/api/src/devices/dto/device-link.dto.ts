import { ApiProperty } from '@nestjs/swagger';
import {
  DEVICE_LINK_CIPHERTEXT_MAX_BYTES,
  DEVICE_LINK_CIPHERTEXT_MIN_BYTES,
  DEVICE_LINK_IV_BYTES,
  DEVICE_LINK_PUBLIC_KEY_BYTES,
  type DeviceLinkCompleteRequestDto as DeviceLinkCompleteRequest,
  type DeviceLinkCreatedDto,
  type DeviceLinkDto,
  type DeviceLinkSealedDto,
  type DeviceLinkStatus,
} from '@pairchat/messaging';
import { IsString, Matches, ValidateBy, type ValidationOptions } from 'class-validator';

/** Unpadded base64url of exactly 32 bytes. */
const TOKEN_BASE64URL = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes canonical standard base64, or null. The service relies on this having run (the DTO is the one check). */
export function decodeBase64(value: unknown): Buffer | null {
  if (typeof value !== 'string' || !BASE64.test(value)) return null;
  const bytes = Buffer.from(value, 'base64');
  return bytes.toString('base64') === value ? bytes : null;
}

/**
 * Canonical padded base64 of `min`..`max` bytes (exactly `min` when `max` is left out); with
 * `nonZero`, all-zero bytes are refused too (an all-zero X25519 key makes every agreement zero).
 */
function IsBase64Bytes(
  bounds: { min: number; max?: number; nonZero?: boolean },
  options?: ValidationOptions,
): PropertyDecorator {
  const { min, max = min, nonZero = false } = bounds;
  const size = min === max ? `${min} bytes` : `${min}-${max} bytes`;
  return ValidateBy(
    {
      name: 'isBase64Bytes',
      validator: {
        validate: (value: unknown) => {
          const bytes = decodeBase64(value);
          if (!bytes || bytes.length < min || bytes.length > max) return false;
          return !nonZero || bytes.some((byte) => byte !== 0);
        },
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must be ${size} of canonical base64${nonZero ? ', not all zero' : ''}`,
      },
    },
    options,
  );
}

const EXAMPLE_KEY = 'AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=';
const EXAMPLE_TOKEN = 'ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM';

/** `POST /devices/links` takes no body: the new device's key and code secret never go to the server. */
export class DeviceLinkCreateRequestDto {}

export class DeviceLinkCreatedResponseDto implements DeviceLinkCreatedDto {
  @ApiProperty({ description: 'Link id', format: 'uuid', example: '7c9e6679-7425-40de-944b-e07fc1f90ae7' })
  linkId!: string;

  @ApiProperty({
    description: 'Single-use token (32 random bytes, base64url); shown only in the code, the server keeps its hash',
    example: EXAMPLE_TOKEN,
  })
  linkToken!: string;

  @ApiProperty({ description: 'When the link stops working (ISO-8601)', example: '2026-12-03T15:10:00.000Z' })
  expiresAt!: string;
}

export class DeviceLinkSealedResponseDto implements DeviceLinkSealedDto {
  @ApiProperty({ description: "The completing device's ephemeral X25519 public key (base64)", example: EXAMPLE_KEY })
  ephemeralPublicKey!: string;

  @ApiProperty({
    description: 'The identity key pair, AES-256-GCM-encrypted to the new device (base64); opaque to the server',
    example: 'c2VhbGVkIGlkZW50aXR5IGJ5dGVz',
  })
  ciphertext!: string;

  @ApiProperty({ description: 'AES-GCM nonce, 12 bytes (base64)', example: 'AAECAwQFBgcICQoL' })
  iv!: string;

  @ApiProperty({ description: 'When the link was completed (ISO-8601)', example: '2026-12-03T15:02:00.000Z' })
  completedAt!: string;
}

export class DeviceLinkResponseDto implements DeviceLinkDto {
  @ApiProperty({ description: 'Link id', format: 'uuid', example: '7c9e6679-7425-40de-944b-e07fc1f90ae7' })
  linkId!: string;

  @ApiProperty({ description: 'The new device', format: 'uuid', example: '3d0c1b7a-8e4f-4f6a-b2c1-9a8b7c6d5e4f' })
  deviceId!: string;

  @ApiProperty({ description: 'Name of the new device', example: 'Work laptop' })
  deviceName!: string;

  @ApiProperty({ description: 'When the link was created (ISO-8601)', example: '2026-12-03T15:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ description: 'When it stops working (ISO-8601)', example: '2026-12-03T15:10:00.000Z' })
  expiresAt!: string;

  @ApiProperty({
    description: '`pending` (waiting for a device), `completed` (identity sent) or `expired`',
    enum: ['pending', 'completed', 'expired'],
    example: 'pending',
  })
  status!: DeviceLinkStatus;

  @ApiProperty({
    description: 'The sealed identity: only for the new device itself, once completed; null otherwise',
    type: DeviceLinkSealedResponseDto,
    nullable: true,
  })
  sealed!: DeviceLinkSealedResponseDto | null;
}

export class DeviceLinkCompleteRequestDto implements DeviceLinkCompleteRequest {
  @ApiProperty({ description: 'The token from the code (base64url)', example: EXAMPLE_TOKEN })
  @IsString()
  @Matches(TOKEN_BASE64URL, { message: 'linkToken must be 32 bytes in base64url' })
  linkToken!: string;

  @ApiProperty({ description: "The completing device's ephemeral X25519 public key (base64)", example: EXAMPLE_KEY })
  @IsBase64Bytes({ min: DEVICE_LINK_PUBLIC_KEY_BYTES, nonZero: true })
  ephemeralPublicKey!: string;

  @ApiProperty({
    description: `The sealed identity (base64), ${DEVICE_LINK_CIPHERTEXT_MIN_BYTES}-${DEVICE_LINK_CIPHERTEXT_MAX_BYTES} bytes`,
    example: 'c2VhbGVkIGlkZW50aXR5IGJ5dGVz',
  })
  @IsBase64Bytes({ min: DEVICE_LINK_CIPHERTEXT_MIN_BYTES, max: DEVICE_LINK_CIPHERTEXT_MAX_BYTES })
  ciphertext!: string;

  @ApiProperty({ description: 'AES-GCM nonce, 12 bytes (base64)', example: 'AAECAwQFBgcICQoL' })
  @IsBase64Bytes({ min: DEVICE_LINK_IV_BYTES })
  iv!: string;
}
