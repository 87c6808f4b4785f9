/**
 * Signature checks of a decoded key upload: the signed EC prekey and every Kyber prekey must carry
 * an XEdDSA signature by the identity key over the serialised public key (libsignal signs exactly
 * those bytes). The server runs this with the native engine before it stores anything.
 * @module
 */
import type { KeyApi } from '@pairchat/crypto';
import type { DecodedKeysUpload, KeyFieldError } from './decode.js';

/**
 * @param identityKey - the identity key the signatures must verify under (the account's, when the
 *   server already knows it; else the upload's own)
 * @returns one error per bad signature; empty when all verify
 */
export async function verifyKeysUpload(
  upload: DecodedKeysUpload,
  keys: Pick<KeyApi, 'verify'>,
  identityKey: Uint8Array = upload.identityKey,
): Promise<KeyFieldError[]> {
  const signed = [
    ...(upload.signedPreKey ? [{ field: 'signedPreKey', key: upload.signedPreKey }] : []),
    ...(upload.lastResortKyberPreKey ? [{ field: 'lastResortKyberPreKey', key: upload.lastResortKyberPreKey }] : []),
    ...upload.kyberPreKeys.map((key, i) => ({ field: `kyberPreKeys[${i}]`, key })),
  ];
  const results = await Promise.all(
    signed.map(async ({ field, key }) => {
      const ok = await keys.verify(identityKey, key.publicKey, key.signature).catch(() => false);
      return ok ? [] : [{ field: `${field}.signature`, problem: 'signature does not verify under the identity key' }];
    }),
  );
  return results.flat();
}
