import { type MaybeRefOrGetter, ref, shallowRef, toValue, watch } from 'vue';
import type { EngineClient } from '@/crypto/engine-client.js';
import type { SafetyNumberView } from '@/crypto/engine-protocol.js';

export type SafetyNumberState = 'idle' | 'loading' | 'error' | 'done';

/** Sentences for the user; worker errors never reach the screen verbatim. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  if (/no identity key known/.test(message)) {
    return 'There is no safety number yet: exchange a message with this contact first.';
  }
  return 'The safety number could not be loaded. Try again.';
}

/**
 * The safety number with contact `contactId` from the crypto worker, reloaded when the contact
 * changes, and the "verified" mark. `state` follows the usual idle/loading/error/done.
 */
export function useSafetyNumber(contactId: MaybeRefOrGetter<string>, engine: () => EngineClient) {
  const view = shallowRef<SafetyNumberView | null>(null);
  const state = ref<SafetyNumberState>('idle');
  const error = ref<string | null>(null);
  const saving = ref(false);
  let generation = 0;

  async function load(): Promise<void> {
    const current = ++generation;
    state.value = 'loading';
    error.value = null;
    try {
      const loaded = await engine().safetyNumber(toValue(contactId));
      if (current !== generation) return;
      view.value = loaded;
      state.value = 'done';
    } catch (caught) {
      if (current !== generation) return;
      view.value = null;
      error.value = describe(caught);
      state.value = 'error';
    }
  }

  async function setVerified(verified: boolean): Promise<void> {
    if (saving.value || !view.value) return;
    saving.value = true;
    error.value = null;
    try {
      view.value = await engine().setVerified(toValue(contactId), verified);
    } catch (caught) {
      error.value = describe(caught);
    } finally {
      saving.value = false;
    }
  }

  watch(() => toValue(contactId), load, { immediate: true });
  return { view, state, error, saving, load, setVerified };
}
