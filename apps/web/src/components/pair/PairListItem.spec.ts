import { mount, RouterLinkStub } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { aPair, aUser } from '@/testing/fake-fetch.js';
import PairListItem from './PairListItem.vue';

describe('PairListItem', () => {
  it("links to the pair's safety number screen", () => {
    const bob = aUser('bob');
    const sut = mount(PairListItem, {
      props: { pair: aPair(bob) },
      global: { stubs: { RouterLink: RouterLinkStub } },
    });
    const link = sut.findAllComponents(RouterLinkStub).find((candidate) => candidate.text() === 'Safety number')!;
    expect(link.props('to')).toEqual({ name: 'safety-number', params: { userId: bob.id } });
    expect(link.attributes('aria-label')).toBe('Safety number with @bob');
  });

  it('offers a Message action that opens the conversation', () => {
    const bob = aUser('bob');
    const sut = mount(PairListItem, {
      props: { pair: aPair(bob) },
      global: { stubs: { RouterLink: RouterLinkStub } },
    });
    const link = sut.findAllComponents(RouterLinkStub).find((candidate) => candidate.text() === 'Message')!;
    expect(link.props('to')).toEqual({ name: 'chat', params: { userId: bob.id } });
    expect(link.attributes('aria-label')).toBe('Message @bob');
  });

  it('offers no Message action for a blocked pair', () => {
    const sut = mount(PairListItem, {
      props: { pair: { ...aPair(aUser('bob')), blocked: true } },
      global: { stubs: { RouterLink: RouterLinkStub } },
    });
    expect(sut.findAllComponents(RouterLinkStub).map((link) => link.text())).toEqual(['Safety number']);
  });
});
