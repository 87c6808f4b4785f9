import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import AuthRegisterForm from './AuthRegisterForm.vue';

async function fill(sut: ReturnType<typeof mount>, handle: string, password: string, confirm = password) {
  await sut.find('#register-handle').setValue(handle);
  await sut.find('#register-password').setValue(password);
  await sut.find('#register-confirm').setValue(confirm);
  await sut.find('form').trigger('submit');
}

describe('AuthRegisterForm', () => {
  it('applies the shared handle and password rules before submitting', async () => {
    const sut = mount(AuthRegisterForm);

    await fill(sut, '1abc', 'aaaaaaaaaaaa');

    expect(sut.emitted('submit')).toBeUndefined();
    expect(sut.text()).toContain('Start with a letter.');
    expect(sut.text()).toContain('Do not repeat a single character.');
  });

  it('rejects a password equal to the handle and a mismatched repeat', async () => {
    const sut = mount(AuthRegisterForm);

    await fill(sut, 'longhandle', 'LongHandle', 'other');

    expect(sut.text()).toContain('Do not use your handle as password.');
    expect(sut.text()).toContain('The passwords do not match.');
    expect(sut.emitted('submit')).toBeUndefined();
  });

  it('submits the lowercased handle', async () => {
    const sut = mount(AuthRegisterForm);

    await fill(sut, 'Alice.B', 'correct horse battery');

    expect(sut.emitted('submit')).toEqual([[{ handle: 'alice.b', password: 'correct horse battery' }]]);
  });
});
