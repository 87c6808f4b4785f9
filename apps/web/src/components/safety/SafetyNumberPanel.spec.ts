import 'fake-indexeddb/auto';
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fromBase64 } from '@pairchat/crypto';
import { EngineClient } from '@/crypto/engine-client.js';
import { fakeEngineWorker } from '@/crypto/fake-engine-worker.js';
import SafetyNumberPanel from './SafetyNumberPanel.vue';

const ALICE = '9d0652a3-dcc3-4d11-975f-74d61598733f';
const BOB = '796abedb-ca4e-4f18-8803-1fde5b921f9f';
let sequence = 0;

async function device(userId: string) {
  const client = new EngineClient(fakeEngineWorker().worker);
  await client.open(`safety-panel-${Date.now()}-${++sequence}`, userId);
  const status = await client.createIdentity();
  const upload = await client.initialUpload();
  await client.setProtocolDeviceId(1);
  return { client, upload, registrationId: status.registrationId! };
}

/** Alice has a session with Bob, so she holds his identity key. */
async function aliceKnowsBob() {
  const alice = await device(ALICE);
  const bob = await device(BOB);
  const u = bob.upload;
  await alice.client.processPreKeyBundle(
    {
      registrationId: bob.registrationId,
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
    },
    { name: BOB, deviceId: 1 },
  );
  return { alice, bob };
}

describe('SafetyNumberPanel', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('shows the safety number from the worker and persists "mark as verified"', async () => {
    const { alice } = await aliceKnowsBob();
    const wrapper = mount(SafetyNumberPanel, { props: { contactId: BOB, contactName: 'bob', engine: alice.client } });
    await vi.waitFor(() => expect(wrapper.findAll('ol li')).toHaveLength(12));

    const digits = wrapper
      .findAll('ol li')
      .map((li) => li.text())
      .join('');
    expect(digits).toMatch(/^\d{60}$/);
    expect(digits).toBe((await alice.client.safetyNumber(BOB)).displayable);
    expect(wrapper.get('img').attributes('alt')).toBe('QR code of your safety number with bob');
    expect(wrapper.find('.badge').exists()).toBe(false);

    await wrapper.get('input[role="switch"]').setValue(true);
    await vi.waitFor(() => expect(wrapper.find('.badge').exists()).toBe(true));
    expect(wrapper.get('.badge').text()).toBe('Verified');
    expect((await alice.client.safetyNumber(BOB)).verified).toBe(true);
  }, 30_000);

  it('explains that there is no safety number before any contact with the person', async () => {
    const alice = await device(ALICE);
    const wrapper = mount(SafetyNumberPanel, { props: { contactId: BOB, contactName: 'bob', engine: alice.client } });
    await vi.waitFor(() => expect(wrapper.get('[role="alert"]').text()).not.toBe(''));
    expect(wrapper.find('ol').exists()).toBe(false);
    expect(wrapper.get('[role="alert"]').text()).toBe(
      'There is no safety number yet: exchange a message with this contact first.',
    );
  }, 30_000);
});
