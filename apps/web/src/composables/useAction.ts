import { ref } from 'vue';
import { describeError } from '@/api/index.js';

/**
 * Wraps an async action for a button or form: `pending` while it runs (a second run is ignored)
 * and `error` as a sentence for the user when it fails.
 */
export function useAction<Args extends unknown[], Result>(action: (...args: Args) => Promise<Result>) {
  const pending = ref(false);
  const error = ref<string | null>(null);

  async function run(...args: Args): Promise<{ ok: true; value: Result } | { ok: false }> {
    if (pending.value) return { ok: false };
    pending.value = true;
    error.value = null;
    try {
      return { ok: true, value: await action(...args) };
    } catch (caught) {
      error.value = describeError(caught);
      return { ok: false };
    } finally {
      pending.value = false;
    }
  }

  return { run, pending, error };
}
