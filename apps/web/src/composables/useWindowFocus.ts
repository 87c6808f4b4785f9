import { onBeforeUnmount, onMounted, readonly, ref } from 'vue';

/**
 * True while this tab is visible and the window has focus: the moment a shown message counts as
 * read. Listeners are removed with the component.
 */
export function useWindowFocus() {
  const focused = ref(false);
  const update = () => {
    focused.value = document.visibilityState === 'visible' && document.hasFocus();
  };
  onMounted(() => {
    update();
    window.addEventListener('focus', update);
    window.addEventListener('blur', update);
    document.addEventListener('visibilitychange', update);
  });
  onBeforeUnmount(() => {
    window.removeEventListener('focus', update);
    window.removeEventListener('blur', update);
    document.removeEventListener('visibilitychange', update);
  });
  return readonly(focused);
}
