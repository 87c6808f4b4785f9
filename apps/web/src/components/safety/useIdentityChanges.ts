import { computed, type MaybeRefOrGetter, ref, shallowRef, toValue, watch } from 'vue';
import type { EngineClient } from '@/crypto/engine-client.js';
import type { IdentityChangeDto } from '@/crypto/engine-protocol.js';

/**
 * Identity-key changes of contact `contactId` seen by this device: refused keys waiting for the
 * user (`pending`), and accepted ones still to acknowledge. `accept()` trusts the new key (it
 * clears "verified"); `dismiss()` hides the warning once the user has seen it.
 */
export function useIdentityChanges(contactId: MaybeRefOrGetter<string>, engine: () => EngineClient) {
  const changes = shallowRef<IdentityChangeDto[]>([]);
  const error = ref<string | null>(null);
  const busy = ref(false);

  async function load(): Promise<void> {
    try {
      const id = toValue(contactId);
      changes.value = (await engine().identityChanges()).filter((change) => change.name === id);
      error.value = null;
    } catch {
      error.value = 'Could not check this contact’s safety number.';
    }
  }

  async function act(action: () => Promise<unknown>): Promise<void> {
    if (busy.value) return;
    busy.value = true;
    try {
      await action();
      await load();
    } catch {
      error.value = 'That did not work. Please try again.';
    } finally {
      busy.value = false;
    }
  }

  const accept = () => act(() => engine().acceptIdentityChanges(toValue(contactId)));
  const dismiss = () =>
    act(async () => {
      for (const change of changes.value) await engine().dismissIdentityChange(change.address);
    });

  watch(() => toValue(contactId), load, { immediate: true });
  const changed = computed(() => changes.value.length > 0);
  const pending = computed(() => changes.value.some((change) => !change.accepted));
  return { changes, changed, pending, error, busy, load, accept, dismiss };
}
