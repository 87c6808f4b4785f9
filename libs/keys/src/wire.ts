/**
 * Wire schema of the key directory: what a device uploads (`PUT /keys`) and what a sender fetches
 * (`GET /keys/:userId`). Keys travel as standard base64 of libsignal's serialisations
 * (`0x05 || u` for Curve25519, `0x08 || pk` for Kyber1024, 64-byte XEdDSA signatures).
 * The schemas check shape; {@link decodeKeysUpload} then checks every byte length and type byte.
 * @module
 */
import { z } from 'zod';
import { MAX_KEY_ID, MAX_PREKEYS_PER_UPLOAD, MAX_REGISTRATION_ID } from './policy.js';

/** Serialised Curve25519 public key: type byte 0x05 then 32 bytes. */
export const EC_PUBLIC_KEY_LENGTH = 33;
export const EC_KEY_TYPE = 0x05;
/** Serialised Kyber1024 (round 3) public key: type byte 0x08 then 1568 bytes. */
export const KYBER_PUBLIC_KEY_LENGTH = 1569;
export const KYBER_KEY_TYPE = 0x08;
/** XEdDSA signature length. */
export const SIGNATURE_LENGTH = 64;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const base64 = (maxBytes: number) =>
  z
    .string()
    .max(Math.ceil(maxBytes / 3) * 4)
    .regex(BASE64, 'must be standard base64');

const keyId = z.number().int().min(1).max(MAX_KEY_ID);

export const ecPreKeySchema = z.strictObject({ keyId, publicKey: base64(EC_PUBLIC_KEY_LENGTH) });
export const signedEcPreKeySchema = z.strictObject({
  keyId,
  publicKey: base64(EC_PUBLIC_KEY_LENGTH),
  signature: base64(SIGNATURE_LENGTH),
});
export const kyberPreKeySchema = z.strictObject({
  keyId,
  publicKey: base64(KYBER_PUBLIC_KEY_LENGTH),
  signature: base64(SIGNATURE_LENGTH),
});

/** `PUT /keys`: any subset; the first upload of a device must carry identity, signed and last-resort keys. */
export const keysUploadSchema = z.strictObject({
  identityKey: base64(EC_PUBLIC_KEY_LENGTH),
  /** This device's registration id (libsignal), required until the device has one. */
  registrationId: z.number().int().min(1).max(MAX_REGISTRATION_ID).optional(),
  signedPreKey: signedEcPreKeySchema.optional(),
  lastResortKyberPreKey: kyberPreKeySchema.optional(),
  preKeys: z.array(ecPreKeySchema).max(MAX_PREKEYS_PER_UPLOAD).optional(),
  kyberPreKeys: z.array(kyberPreKeySchema).max(MAX_PREKEYS_PER_UPLOAD).optional(),
});

export type EcPreKeyWire = z.infer<typeof ecPreKeySchema>;
export type SignedEcPreKeyWire = z.infer<typeof signedEcPreKeySchema>;
export type KyberPreKeyWire = z.infer<typeof kyberPreKeySchema>;
export type KeysUploadRequest = z.infer<typeof keysUploadSchema>;

/** One device's bundle in `GET /keys/:userId`. `preKey` is null once one-time EC keys ran out. */
export const deviceBundleSchema = z.strictObject({
  /** The device's id in the API (message envelopes are addressed to it). */
  deviceId: z.uuid(),
  /** The device's number in Signal protocol addresses (1..127, unique within the account). */
  protocolDeviceId: z.number().int().min(1).max(127),
  registrationId: z.number().int().min(1).max(MAX_REGISTRATION_ID),
  signedPreKey: signedEcPreKeySchema,
  preKey: ecPreKeySchema.nullable(),
  /** A one-time Kyber prekey, or the last-resort one when none is left. */
  kyberPreKey: kyberPreKeySchema,
});

export const preKeyBundleResponseSchema = z.strictObject({
  identityKey: base64(EC_PUBLIC_KEY_LENGTH),
  devices: z.array(deviceBundleSchema),
});

/**
 * `GET /keys/:userId/devices`: the devices of a user that have keys, with their protocol numbers,
 * so a recipient can name the protocol address of an envelope's sender. Claims nothing.
 */
export const deviceAddressListSchema = z.strictObject({
  devices: z.array(
    z.strictObject({
      deviceId: z.uuid(),
      protocolDeviceId: z.number().int().min(1).max(127),
      registrationId: z.number().int().min(1).max(MAX_REGISTRATION_ID),
    }),
  ),
});
export type DeviceAddressList = z.infer<typeof deviceAddressListSchema>;

export type DeviceBundleWire = z.infer<typeof deviceBundleSchema>;
export type PreKeyBundleResponse = z.infer<typeof preKeyBundleResponseSchema>;

/** `GET /keys/count`. */
export interface PreKeyCountResponse {
  ecPreKeys: number;
  kyberPreKeys: number;
  /** This device's number in Signal protocol addresses, assigned on its first upload. */
  protocolDeviceId: number;
  /** True when the device should upload more one-time prekeys now. */
  replenish: boolean;
  /** Upload times of the current signed EC prekey and last-resort Kyber prekey. */
  signedPreKeyUploadedAt: string;
  lastResortKyberPreKeyUploadedAt: string;
  /** True when either is older than the rotation interval. */
  rotationDue: boolean;
}
