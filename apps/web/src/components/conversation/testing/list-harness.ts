/**
 * The page of `e2e/virtual-list.e2e.ts` (built from `e2e/virtual-list/index.html`): the real message
 * list component with thousands of generated rows of varied length, driven from the spec through
 * `window.listE2E`. Not part of the app bundle.
 */
import { createApp, h, reactive, ref } from 'vue';
import { createMemoryHistory, createRouter } from 'vue-router';
import type { ChatItem } from '@/chat/types.js';
import '@/styles/main.css';
import ConversationMessages from '../ConversationMessages.vue';

const WORDS =
  'the quick brown fox jumps over a lazy dog while we talk about encrypted messages and weekend plans'.split(' ');
const START = Date.UTC(2026, 10, 1, 8, 0, 0);
let sequence = 0;

function item(direction: 'in' | 'out', time: number): ChatItem {
  sequence += 1;
  const length = 3 + ((sequence * 7919) % 60);
  const text = Array.from({ length }, (_, i) => WORDS[(sequence + i * 13) % WORDS.length]).join(' ');
  return {
    id: `row-${sequence}`,
    conversationId: 'bob',
    kind: 'text',
    direction,
    text: sequence % 17 === 0 ? `${text}\nsecond line\nthird line` : text,
    sentAt: time,
    serverAt: time,
    status: direction === 'out' ? 'read' : null,
    read: true,
    messageId: `m-${sequence}`,
  };
}

const state = reactive({ items: [] as ChatItem[], typing: false, hasMore: false });
const loadOlderCalls = ref(0);
let clock = START;

function generate(count: number): ChatItem[] {
  return Array.from({ length: count }, (_, i) => {
    clock += 7 * 60_000;
    return item(i % 3 === 0 ? 'out' : 'in', clock);
  });
}

const router = createRouter({
  history: createMemoryHistory(),
  routes: [{ path: '/:any(.*)*', component: { render: () => null } }],
});
const app = createApp({
  render: () =>
    h(ConversationMessages, {
      items: state.items,
      contactHandle: 'bob',
      typing: state.typing,
      hasMore: state.hasMore,
      now: Date.UTC(2026, 11, 3, 12),
      onLoadOlder: () => loadOlderCalls.value++,
    }),
});
app.use(router);

const scroller = () => document.querySelector<HTMLElement>('.messages__scroller')!;
const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));

const harness = {
  mount(count: number): number {
    state.items = generate(count);
    const started = performance.now();
    app.mount('#app');
    return performance.now() - started;
  },
  append(direction: 'in' | 'out') {
    clock += 60_000;
    state.items = [...state.items, item(direction, clock)];
  },
  prepend(count: number) {
    const saved = clock;
    clock = START - count * 8 * 60_000;
    const older = generate(count);
    clock = saved;
    state.items = [...older, ...state.items];
  },
  setHasMore(value: boolean) {
    state.hasMore = value;
  },
  loadOlderCalls: () => loadOlderCalls.value,
  rowsInDom: () => document.querySelectorAll('.messages__row').length,
  scroll(top: number) {
    scroller().scrollTop = top;
  },
  metrics() {
    const element = scroller();
    return { scrollTop: element.scrollTop, scrollHeight: element.scrollHeight, clientHeight: element.clientHeight };
  },
  /** The first row whose bottom is below the scroller's top, and its distance from that top. */
  topRow() {
    const top = scroller().getBoundingClientRect().top;
    for (const row of Array.from(document.querySelectorAll<HTMLElement>('.messages__row'))) {
      const box = row.getBoundingClientRect();
      if (box.bottom > top + 1) return { key: row.dataset.key!, offset: box.top - top };
    }
    return null;
  },
  nextFrame,
  /** Scrolls by `step` px per frame for `frames` frames; returns each frame's duration in ms. */
  async scrollFrames(step: number, frames: number): Promise<number[]> {
    const durations: number[] = [];
    let last = await nextFrame();
    for (let i = 0; i < frames; i++) {
      scroller().scrollTop += step;
      const now = await nextFrame();
      durations.push(now - last);
      last = now;
    }
    return durations;
  },
};

declare global {
  interface Window {
    listE2E: typeof harness;
  }
}
window.listE2E = harness;
document.title = 'ready';
