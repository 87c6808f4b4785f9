import 'fake-indexeddb/auto';
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fromBase64, type PreKeyBundle } from '@pairchat/crypto';
import type { KeysUploadRequest } from '@pairchat/keys';
import { EngineClient } from '@/crypto/engine-client.js';
import { fakeEngineWorker } from '@/crypto/fake-engine-worker.js';
import SafetyIdentityChangeAlert from './SafetyIdentityChangeAlert.vue';

const ALICE = '9d0652a3-dcc3-4d11-975f-74d61598733f';
const BOB = '796abedb-ca4e-4f18-8803-1fde5b921f9f';
let sequence = 0;

async function device(userId: string) {
  const client = new EngineClient(fakeEngineWorker().worker);
  await client.open(`identity-alert-${Date.now()}-${++sequence}`, userId);
  const status = await client.createIdentity();
  const upload = await client.initialUpload();
  await client.setProtocolDeviceId(1);
  return { client, upload, registrationId: status.registrationId! };
}

function bundle(u: KeysUploadRequest, registrationId: number): PreKeyBundle {
  return {
    registrationId,
    deviceId: 1,
    preKeyId: null,
    preKey: null,
    signedPreKeyId: u.signedPreKey!.keyId,
    signedPreKey: fromBase64(u.signedPreKey!.publicKey),
    signedPreKeySignature: fromBase64(u.signedPreKey!.signature),
    identityKey: fromBase64(u.identityKey),
    kyberPreKeyId: u.lastResortKyberPreKey!.keyId,
    kyberPreKey: fromBase64(u.lastResortKyberPreKey!.publicKey),
    kyberPreKeySignature: fromBase64(u.lastResortKyberPreKey!.signature),
  };
}

describe('SafetyIdentityChangeAlert', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('warns about a changed identity key, lets the user accept it, then dismiss the warning', async () => {
    const alice = await device(ALICE);
    const bob = await device(BOB);
    const bobAddress = { name: BOB, deviceId: 1 };
    await alice.client.processPreKeyBundle(bundle(bob.upload, bob.registrationId), bobAddress);
    await alice.client.setVerified(BOB, true);
    // Bob resets his identity: the new key is refused until Alice accepts it.
    const bobAgain = await device(BOB);
    const refused = await alice.client
      .processPreKeyBundle(bundle(bobAgain.upload, bobAgain.registrationId), bobAddress)
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'UntrustedIdentity' });

    const wrapper = mount(SafetyIdentityChangeAlert, {
      props: { contactId: BOB, contactName: 'bob', engine: alice.client },
    });
    await vi.waitFor(() => expect(wrapper.find('[role="alert"]').exists()).toBe(true));
    expect(wrapper.text()).toContain('bob’s safety number has changed.');

    await wrapper.get('button:nth-of-type(1)').trigger('click');
    expect(wrapper.emitted('verify')).toHaveLength(1);

    const acceptButton = wrapper.findAll('button').find((b) => b.text() === 'Accept the new key')!;
    await acceptButton.trigger('click');
    await vi.waitFor(() => expect(wrapper.findAll('button').some((b) => b.text() === 'Dismiss')).toBe(true));
    expect((await alice.client.safetyNumber(BOB)).verified).toBe(false);
    await alice.client.processPreKeyBundle(bundle(bobAgain.upload, bobAgain.registrationId), bobAddress);

    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Dismiss')!
      .trigger('click');
    await vi.waitFor(() => expect(wrapper.find('[role="alert"]').exists()).toBe(false));
    expect(await alice.client.identityChanges()).toEqual([]);
  }, 30_000);

  it('shows nothing while the contact’s key never changed', async () => {
    const alice = await device(ALICE);
    const wrapper = mount(SafetyIdentityChangeAlert, {
      props: { contactId: BOB, contactName: 'bob', engine: alice.client },
    });
    await (wrapper.vm as unknown as { reload(): Promise<void> }).reload();
    expect(await alice.client.identityChanges()).toEqual([]);
    expect(wrapper.find('[role="alert"]').exists()).toBe(false);
  }, 30_000);
});
