import {
  computed,
  nextTick,
  onBeforeUnmount,
  onMounted,
  ref,
  shallowRef,
  type Ref,
  watch,
  type ComponentPublicInstance,
} from 'vue';
import {
  captureAnchor,
  isAtBottom,
  restoreAnchor,
  type ScrollAnchor,
} from '@/components/conversation/scroll-anchor.js';
import { ESTIMATED_ROW_HEIGHT, rowOffsets, visibleWindow } from '@/components/conversation/virtual-window.js';

/** Input that means the reader is scrolling, as opposed to the list moving itself. */
const USER_SCROLL_EVENTS = ['wheel', 'touchstart', 'keydown', 'pointerdown'] as const;

/**
 * Virtual scrolling for a list of keyed rows of unknown height inside `scroller`: renders the
 * window around the viewport, measures rendered rows with a ResizeObserver, and keeps the scroll
 * anchored (to the bottom while pinned, else to the row at the top of the viewport) whenever rows
 * are added, removed or re-measured. `rowsTop` is the element holding the rows, so content above
 * them (a "loading" line) is accounted for.
 */
export function useVirtualRows(
  keys: () => readonly string[],
  scroller: Readonly<Ref<HTMLElement | null>>,
  rowsTop: Readonly<Ref<HTMLElement | null>>,
) {
  const heights = new Map<string, number>();
  const measured = ref(0);
  const scrollTop = ref(0);
  const viewport = ref(0);
  const atBottom = ref(true);
  let anchor: ScrollAnchor = { kind: 'bottom' };
  let seekingBottom = 0;
  let expectedTop: number | null = null;

  const offsets = computed(() => {
    void measured.value;
    return rowOffsets(keys().map((key) => heights.get(key) ?? ESTIMATED_ROW_HEIGHT));
  });
  const listTop = () => rowsTop.value?.offsetTop ?? 0;
  const range = computed(() => visibleWindow(offsets.value, scrollTop.value - listTop(), viewport.value));

  function readScroll() {
    const element = scroller.value;
    if (!element) return;
    scrollTop.value = element.scrollTop;
    viewport.value = element.clientHeight;
    atBottom.value = isAtBottom(element.scrollTop, element.scrollHeight, element.clientHeight);
  }

  function onScroll() {
    readScroll();
    const element = scroller.value;
    // The event of our own scrollTop write can arrive after rows grew below it: not the reader moving.
    if (element && expectedTop !== null && Math.abs(element.scrollTop - expectedTop) <= 1) {
      expectedTop = null;
      return;
    }
    expectedTop = null;
    // While a smooth scroll to the bottom runs, its own scroll events must not re-anchor to a row.
    if (seekingBottom > Date.now() && !atBottom.value) return;
    seekingBottom = 0;
    anchor = captureAnchor(keys(), offsets.value, scrollTop.value - listTop(), atBottom.value);
  }

  function setTop(element: HTMLElement, top: number) {
    element.scrollTop = top;
    expectedTop = element.scrollTop;
  }

  /** The reader took over: a pending smooth scroll to the bottom no longer holds the anchor. */
  function userScrolled() {
    seekingBottom = 0;
    expectedTop = null;
  }

  /** Puts the anchored content back where it was after the rows or their heights changed. */
  function restore() {
    const element = scroller.value;
    if (!element) return;
    let target: number | null;
    if (anchor.kind === 'bottom') {
      target = element.scrollHeight - element.clientHeight;
    } else {
      const row = restoreAnchor(anchor, keys(), offsets.value, element.clientHeight);
      target = row === null ? null : row + listTop();
    }
    if (target !== null && Math.abs(element.scrollTop - target) > 1) setTop(element, target);
    readScroll();
  }

  /**
   * Pins to the bottom and scrolls there. Smoothly only over a short distance (and never with
   * reduced motion): a long smooth scroll would pass rows whose measuring moves the target.
   */
  function scrollToBottom(smooth = false) {
    anchor = { kind: 'bottom' };
    const element = scroller.value;
    if (!element) return;
    const distance = element.scrollHeight - element.clientHeight - element.scrollTop;
    const reduce = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? true;
    if (smooth && !reduce && distance < 2 * element.clientHeight && typeof element.scrollTo === 'function') {
      seekingBottom = Date.now() + 1_000;
      element.scrollTo({ top: element.scrollHeight, behavior: 'smooth' });
    } else {
      setTop(element, element.scrollHeight);
    }
    readScroll();
  }

  const observed = new Map<Element, string>();
  const rowObserver = shallowRef<ResizeObserver | null>(null);
  const boxObserver = shallowRef<ResizeObserver | null>(null);

  function measure(entries: ResizeObserverEntry[]) {
    let changed = false;
    for (const entry of entries) {
      const key = observed.get(entry.target);
      if (key === undefined) continue;
      const height = entry.borderBoxSize?.[0]?.blockSize ?? (entry.target as HTMLElement).offsetHeight;
      if (height > 0 && heights.get(key) !== height) {
        heights.set(key, height);
        changed = true;
      }
    }
    if (changed) measured.value++;
  }

  /** Template ref callback for each rendered row. */
  function rowRef(key: string) {
    return (element: Element | ComponentPublicInstance | null) => {
      if (!(element instanceof Element)) return;
      if (observed.get(element) === key) return;
      observed.set(element, key);
      rowObserver.value?.observe(element);
    };
  }

  /** Forgets rows no longer rendered (call after each render). */
  function prune() {
    for (const [element] of observed) {
      if (!element.isConnected) {
        rowObserver.value?.unobserve(element);
        observed.delete(element);
      }
    }
  }

  watch(offsets, () => nextTick(restore), { flush: 'post' });
  watch(range, () => nextTick(prune), { flush: 'post' });

  onMounted(() => {
    if (typeof ResizeObserver !== 'undefined') {
      rowObserver.value = new ResizeObserver(measure);
      for (const element of observed.keys()) rowObserver.value.observe(element);
      boxObserver.value = new ResizeObserver(() => restore());
      if (scroller.value) boxObserver.value.observe(scroller.value);
      if (scroller.value?.firstElementChild) boxObserver.value.observe(scroller.value.firstElementChild);
    }
    for (const type of USER_SCROLL_EVENTS) scroller.value?.addEventListener(type, userScrolled, { passive: true });
    scrollToBottom();
  });
  onBeforeUnmount(() => {
    for (const type of USER_SCROLL_EVENTS) scroller.value?.removeEventListener(type, userScrolled);
    rowObserver.value?.disconnect();
    boxObserver.value?.disconnect();
    observed.clear();
  });

  return { range, atBottom, onScroll, rowRef, scrollToBottom, restore, scrollTop, viewport, listTop };
}
