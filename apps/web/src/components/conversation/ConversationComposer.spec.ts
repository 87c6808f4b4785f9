import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { MAX_TEXT_LENGTH } from '@pairchat/messaging';
import ConversationComposer from './ConversationComposer.vue';

function mountComposer(props: { disabled?: boolean } = {}) {
  return mount(ConversationComposer, { props: { contactHandle: 'bob', ...props }, attachTo: document.body });
}

describe('ConversationComposer', () => {
  it('sends on Enter and clears the field', async () => {
    const sut = mountComposer();
    const field = sut.get('textarea');

    await field.setValue('hello bob');
    await field.trigger('keydown', { key: 'Enter' });

    expect(sut.emitted('send')).toEqual([['hello bob']]);
    expect((field.element as HTMLTextAreaElement).value).toBe('');
    sut.unmount();
  });

  it('with submit, keeps the text while sending, clears it on success and keeps it on failure', async () => {
    let outcome!: { resolve: () => void; reject: (e: Error) => void };
    const submit = (_text: string) => new Promise<void>((resolve, reject) => (outcome = { resolve, reject }));
    const sut = mount(ConversationComposer, { props: { contactHandle: 'bob', submit }, attachTo: document.body });
    const field = sut.get('textarea');
    const value = () => (field.element as HTMLTextAreaElement).value;

    await field.setValue('first try');
    await field.trigger('keydown', { key: 'Enter' });
    expect(value()).toBe('first try');
    expect(sut.get('button[aria-label="Send"]').attributes('disabled')).toBeDefined();
    outcome.reject(new Error('no tab is running the chat'));
    await flushPromises();
    expect(value()).toBe('first try');
    expect(sut.emitted('send')).toBeUndefined();

    await field.trigger('keydown', { key: 'Enter' });
    outcome.resolve();
    await flushPromises();
    expect(value()).toBe('');
    expect(sut.emitted('send')).toEqual([['first try']]);
    sut.unmount();
  });

  it('keeps a newline on Shift+Enter', async () => {
    const sut = mountComposer();
    await sut.get('textarea').setValue('line one');

    await sut.get('textarea').trigger('keydown', { key: 'Enter', shiftKey: true });

    expect(sut.emitted('send')).toBeUndefined();
    sut.unmount();
  });

  it('does not send while an IME composition is open', async () => {
    const sut = mountComposer();
    await sut.get('textarea').setValue('にほん');

    await sut.get('textarea').trigger('keydown', { key: 'Enter', isComposing: true });
    await sut.get('textarea').trigger('keydown', { key: 'Enter', keyCode: 229 });

    expect(sut.emitted('send')).toBeUndefined();
    sut.unmount();
  });

  it('never sends empty or whitespace-only text', async () => {
    const sut = mountComposer();
    await sut.get('textarea').setValue('  \n\t ');

    await sut.get('textarea').trigger('keydown', { key: 'Enter' });
    await sut.get('form').trigger('submit');

    expect(sut.emitted('send')).toBeUndefined();
    expect(sut.get('button[aria-label="Send"]').attributes('disabled')).toBeDefined();
    sut.unmount();
  });

  it('caps the length and shows a counter near the limit', async () => {
    const sut = mountComposer();
    const field = sut.get('textarea');
    expect(field.attributes('maxlength')).toBe(String(MAX_TEXT_LENGTH));
    await field.setValue('x'.repeat(100));
    expect(sut.text()).not.toContain('characters left');

    await field.setValue('x'.repeat(MAX_TEXT_LENGTH - 10));

    expect(sut.text()).toContain('10 characters left');
    expect(field.attributes('aria-describedby')).toBeTruthy();
    sut.unmount();
  });

  it('reports typing on input and stops on send, clear and blur', async () => {
    const sut = mountComposer();
    const field = sut.get('textarea');

    await field.setValue('h');
    await field.setValue('hi');
    await field.trigger('keydown', { key: 'Enter' });
    await field.setValue('again');
    await field.setValue('');
    await field.setValue('more');
    await field.trigger('blur');
    await field.trigger('blur');

    expect(sut.emitted('typing')).toEqual([[true], [true], [false], [true], [false], [true], [false]]);
    sut.unmount();
  });

  it('is disabled with the reason as placeholder', () => {
    const sut = mount(ConversationComposer, {
      props: { contactHandle: 'bob', disabled: true, disabledReason: 'Accept the new safety number to send' },
    });
    expect(sut.get('textarea').attributes('disabled')).toBeDefined();
    expect(sut.get('textarea').attributes('placeholder')).toBe('Accept the new safety number to send');
  });

  it('labels the field for assistive technology', () => {
    const sut = mountComposer();
    const id = sut.get('textarea').attributes('id');
    expect(sut.get(`label[for="${id}"]`).text()).toBe('Message to @bob');
    sut.unmount();
  });
});
