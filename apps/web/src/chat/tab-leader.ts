/**
 * One socket per device, many tabs: the tab holding a Web Lock named after the device is the
 * leader and owns the realtime client and the chat pipeline; the others follow. Changes go from
 * the leader to every tab over a BroadcastChannel, and followers forward the user's actions
 * (send, mark read, typing...) to the leader the same way. When the leader tab closes, the
 * browser releases its lock and the next waiting tab becomes leader.
 * @module
 */

/** What the coordinator needs of `navigator.locks` (a fake in tests). */
export interface LockManagerLike {
  request(name: string, callback: () => Promise<unknown>): Promise<unknown>;
}

/** What the coordinator needs of a `BroadcastChannel`. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  close(): void;
}

/** Delays before leading is tried again after `lead` failed: doubling from the first, capped. */
export const LEAD_RETRY_MIN_MS = 1_000;
export const LEAD_RETRY_MAX_MS = 30_000;

export interface TabLeaderOptions {
  /** Lock and channel name; one per account device. */
  name: string;
  locks: LockManagerLike | null;
  channel: ChannelLike | null;
  /**
   * Runs when this tab becomes leader; resolves to what stops its work. If it rejects, it must
   * have cleaned up after itself: the lock is released (another tab may lead) and this tab asks
   * again after a backoff.
   */
  lead: () => Promise<() => void>;
  /** Every message another tab broadcast. */
  onMessage: (message: unknown) => void;
  /** `lead` failed (told before the retry is scheduled). */
  onLeadError?: (error: unknown) => void;
  /** Override of the retry delays (tests). */
  retryDelay?: (attempt: number) => number;
}

const defaultRetryDelay = (attempt: number) => Math.min(LEAD_RETRY_MAX_MS, LEAD_RETRY_MIN_MS * 2 ** attempt);

/**
 * Elects this tab leader or follower and carries messages between tabs. Without Web Locks (old
 * browsers, tests) every tab leads on its own, which is what a single tab needs.
 */
export class TabLeader {
  private release: (() => void) | null = null;
  private stopWork: (() => void) | null = null;
  private stopped = false;
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  leader = false;

  constructor(private readonly options: TabLeaderOptions) {
    options.channel?.addEventListener('message', (event) => {
      if (!this.stopped) options.onMessage(event.data);
    });
  }

  /** Asks for leadership; resolves at once (leading may start later, when the lock frees up). */
  start(): void {
    if (this.stopped) return;
    const { locks, name } = this.options;
    if (!locks) {
      void this.becomeLeader().then((led) => led || this.retryLater());
      return;
    }
    locks
      .request(`pairchat.chat.${name}`, async () => {
        if (this.stopped) return true;
        if (!(await this.becomeLeader())) return false;
        // stop() ran while lead() was starting: there is no release to wait for.
        if (this.stopped) return true;
        // Held until stop(): the lock is what tells other tabs a leader exists.
        await new Promise<void>((resolve) => (this.release = resolve));
        return true;
      })
      .then(
        (led) => led || this.retryLater(),
        () => this.retryLater(), // the lock request itself failed (e.g. a document going away)
      );
  }

  /** @returns false when `lead` failed (this tab does not lead) */
  private async becomeLeader(): Promise<boolean> {
    this.leader = true;
    try {
      const stopWork = await this.options.lead();
      this.failures = 0;
      if (this.stopped) stopWork();
      else this.stopWork = stopWork;
      return true;
    } catch (error) {
      this.leader = false;
      if (!this.stopped) this.options.onLeadError?.(error);
      return false;
    }
  }

  private retryLater(): void {
    if (this.stopped) return;
    const delay = (this.options.retryDelay ?? defaultRetryDelay)(this.failures++);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.start(), delay);
  }

  /** Sends to every other tab of this device. */
  broadcast(message: unknown): void {
    if (!this.stopped) this.options.channel?.postMessage(message);
  }

  /** Stops leading (another tab takes over) and leaves the channel. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stopWork?.();
    this.stopWork = null;
    this.leader = false;
    this.release?.();
    this.release = null;
    this.options.channel?.close();
  }
}
