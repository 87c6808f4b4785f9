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

export interface TabLeaderOptions {
  /** Lock and channel name; one per account device. */
  name: string;
  locks: LockManagerLike | null;
  channel: ChannelLike | null;
  /** Runs when this tab becomes leader; resolves to what stops its work. */
  lead: () => Promise<() => void>;
  /** Every message another tab broadcast. */
  onMessage: (message: unknown) => void;
}

/**
 * Elects this tab leader or follower and carries messages between tabs. Without Web Locks (old
 * browsers, tests) every tab leads on its own, which is what a single tab needs.
 */
export class TabLeader {
  private release: (() => void) | null = null;
  private stopWork: (() => void) | null = null;
  private stopped = false;
  leader = false;

  constructor(private readonly options: TabLeaderOptions) {
    options.channel?.addEventListener('message', (event) => {
      if (!this.stopped) options.onMessage(event.data);
    });
  }

  /** Asks for leadership; resolves at once (leading may start later, when the lock frees up). */
  start(): void {
    const { locks, name } = this.options;
    if (!locks) {
      void this.becomeLeader();
      return;
    }
    void locks.request(`pairchat.chat.${name}`, async () => {
      if (this.stopped) return;
      await this.becomeLeader();
      // Held until stop(): the lock is what tells other tabs a leader exists.
      await new Promise<void>((resolve) => (this.release = resolve));
    });
  }

  private async becomeLeader(): Promise<void> {
    this.leader = true;
    this.stopWork = await this.options.lead();
    if (this.stopped) this.stopWork();
  }

  /** Sends to every other tab of this device. */
  broadcast(message: unknown): void {
    if (!this.stopped) this.options.channel?.postMessage(message);
  }

  /** Stops leading (another tab takes over) and leaves the channel. */
  stop(): void {
    this.stopped = true;
    this.stopWork?.();
    this.stopWork = null;
    this.leader = false;
    this.release?.();
    this.release = null;
    this.options.channel?.close();
  }
}
