import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { aPairRequest, aUser } from '@/testing/fake-fetch.js';
import PairRequestList from './PairRequestList.vue';

describe('PairRequestList', () => {
  const me = aUser('alice');
  const bob = aUser('bob');
  const carol = aUser('carol');

  it('emits accept and decline with the request id', async () => {
    const fromBob = aPairRequest(bob, me);
    const fromCarol = aPairRequest(carol, me);
    const sut = mount(PairRequestList, { props: { requests: [fromBob, fromCarol], direction: 'incoming' } });

    await sut.get('button[aria-label="Accept @bob"]').trigger('click');
    await sut.get('button[aria-label="Decline @carol"]').trigger('click');

    expect(sut.emitted('accept')).toEqual([[fromBob.id]]);
    expect(sut.emitted('decline')).toEqual([[fromCarol.id]]);
    expect(sut.emitted('cancel')).toBeUndefined();
  });

  it('shows the recipient and only a cancel button for outgoing requests', async () => {
    const toBob = aPairRequest(me, bob);
    const sut = mount(PairRequestList, { props: { requests: [toBob], direction: 'outgoing' } });

    expect(sut.text()).toContain('@bob');
    expect(sut.text()).not.toContain('Accept');
    await sut.get('button[aria-label="Cancel request to @bob"]').trigger('click');

    expect(sut.emitted('cancel')).toEqual([[toBob.id]]);
  });

  it('disables the buttons of the request that is busy', () => {
    const fromBob = aPairRequest(bob, me);
    const fromCarol = aPairRequest(carol, me);
    const sut = mount(PairRequestList, {
      props: { requests: [fromBob, fromCarol], direction: 'incoming', busyId: fromBob.id },
    });

    expect(sut.get('button[aria-label="Accept @bob"]').attributes('disabled')).toBeDefined();
    expect(sut.get('button[aria-label="Accept @carol"]').attributes('disabled')).toBeUndefined();
  });
});
