/**
 * Conversion between the key directory's bundle wire format and the engine's `PreKeyBundle`.
 * @module
 */
import { fromBase64, type PreKeyBundle, toBase64 } from '@pairchat/crypto';
import { type DeviceBundleWire, type PreKeyBundleResponse, preKeyBundleResponseSchema } from './wire.js';

/**
 * One engine `PreKeyBundle` per device of a `GET /keys/:userId` answer.
 * @throws ZodError when the answer does not match the schema
 */
export function bundlesFromResponse(response: unknown): PreKeyBundle[] {
  const parsed: PreKeyBundleResponse = preKeyBundleResponseSchema.parse(response);
  const identityKey = fromBase64(parsed.identityKey);
  return parsed.devices.map((device) => bundleFromWire(identityKey, device));
}

/** One device's engine bundle. */
export function bundleFromWire(identityKey: Uint8Array, device: DeviceBundleWire): PreKeyBundle {
  return {
    registrationId: device.registrationId,
    deviceId: device.protocolDeviceId,
    preKeyId: device.preKey?.keyId ?? null,
    preKey: device.preKey ? fromBase64(device.preKey.publicKey) : null,
    signedPreKeyId: device.signedPreKey.keyId,
    signedPreKey: fromBase64(device.signedPreKey.publicKey),
    signedPreKeySignature: fromBase64(device.signedPreKey.signature),
    identityKey,
    kyberPreKeyId: device.kyberPreKey.keyId,
    kyberPreKey: fromBase64(device.kyberPreKey.publicKey),
    kyberPreKeySignature: fromBase64(device.kyberPreKey.signature),
  };
}

/** The wire form of one device's bundle; `deviceId` is the device's API id. */
export function bundleToWire(deviceId: string, bundle: PreKeyBundle): DeviceBundleWire {
  return {
    deviceId,
    protocolDeviceId: bundle.deviceId,
    registrationId: bundle.registrationId,
    signedPreKey: {
      keyId: bundle.signedPreKeyId,
      publicKey: toBase64(bundle.signedPreKey),
      signature: toBase64(bundle.signedPreKeySignature),
    },
    preKey:
      bundle.preKeyId !== null && bundle.preKey ? { keyId: bundle.preKeyId, publicKey: toBase64(bundle.preKey) } : null,
    kyberPreKey: {
      keyId: bundle.kyberPreKeyId,
      publicKey: toBase64(bundle.kyberPreKey),
      signature: toBase64(bundle.kyberPreKeySignature),
    },
  };
}
