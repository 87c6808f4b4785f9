import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import AuthLoginForm from './AuthLoginForm.vue';

describe('AuthLoginForm', () => {
  it('shows what is missing and does not submit an empty form', async () => {
    const sut = mount(AuthLoginForm);

    await sut.find('form').trigger('submit');

    expect(sut.emitted('submit')).toBeUndefined();
    expect(sut.text()).toContain('Enter your handle.');
    expect(sut.text()).toContain('Enter your password.');
    expect(sut.find('#login-handle').attributes('aria-invalid')).toBe('true');
    expect(sut.find('#login-handle').attributes('aria-describedby')).toBe('login-handle-problem');
  });

  it('submits handle, password and device name', async () => {
    const sut = mount(AuthLoginForm);

    await sut.find('#login-handle').setValue(' alice ');
    await sut.find('#login-password').setValue('correct horse battery');
    await sut.find('#login-device-name').setValue('Work laptop');
    await sut.find('button[type="submit"]').trigger('submit');

    expect(sut.emitted('submit')).toEqual([
      [{ handle: 'alice', password: 'correct horse battery', deviceName: 'Work laptop' }],
    ]);
  });

  it('does not ask for a device name when this browser already has a device for the handle', async () => {
    const sut = mount(AuthLoginForm, { props: { isKnownDevice: (handle: string) => handle === 'alice' } });

    await sut.find('#login-handle').setValue('alice');

    expect(sut.find('#login-device-name').exists()).toBe(false);
    expect(sut.text()).toContain('already one of your devices');

    await sut.find('#login-password').setValue('correct horse battery');
    await sut.find('form').trigger('submit');
    expect(sut.emitted('submit')?.[0]).toEqual([{ handle: 'alice', password: 'correct horse battery' }]);
  });

  it('shows the error in a live region and blocks double submits while pending', async () => {
    const sut = mount(AuthLoginForm, { props: { pending: true, error: 'Handle or password is wrong.' } });

    await sut.find('#login-handle').setValue('alice');
    await sut.find('#login-password').setValue('correct horse battery');
    await sut.find('form').trigger('submit');

    expect(sut.find('[role="alert"]').text()).toBe('Handle or password is wrong.');
    expect(sut.find('button[type="submit"]').attributes('disabled')).toBeDefined();
    expect(sut.emitted('submit')).toBeUndefined();
  });

  it('labels every input', () => {
    const sut = mount(AuthLoginForm);

    for (const input of sut.findAll('input')) {
      expect(sut.find(`label[for="${input.attributes('id')}"]`).exists()).toBe(true);
    }
  });
});
