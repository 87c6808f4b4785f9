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
    const link = sut.findComponent(RouterLinkStub);
    expect(link.props('to')).toEqual({ name: 'safety-number', params: { userId: bob.id } });
    expect(link.attributes('aria-label')).toBe('Safety number with @bob');
  });
});
