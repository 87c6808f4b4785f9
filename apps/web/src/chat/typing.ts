/**
 * Typing indicators, both ways. They are encrypted like messages but never stored, and the server
 * could inject them, so only an existing session carries one (Whisper messages): a PreKey frame
 * would build a session, and could bring a new identity key, with nothing shown.
 * @module
 */
import { type CiphertextMessage, CiphertextMessageType, fromBase64 } from '@pairchat/crypto';
import { decodeContent, encodeContent, type OutgoingEnvelope, type TypingNew } from '@pairchat/messaging';
import type { AddressDto, DecryptedMessage } from '../crypto/engine-protocol.js';
import { type DeviceCache, toOutgoingEnvelope } from './device-cache.js';
import type { ChatTransport } from './chat-service.js';

/** Typing `started` frames are re-sent at most this often while the user keeps typing. */
export const TYPING_RESEND_MS = 3_000;
/** How long a typing indicator lasts without a frame (Signal uses 15 s; frames come every 3 s). */
export const TYPING_TIMEOUT_MS = 6_000;

export interface TypingChannelOptions {
  selfUserId: string;
  crypto: {
    hasSession(address: AddressDto): Promise<boolean>;
    encrypt(plaintext: Uint8Array, address: AddressDto): Promise<CiphertextMessage>;
    decryptMessage(message: CiphertextMessage, address: AddressDto): Promise<DecryptedMessage>;
  };
  devices: DeviceCache;
  transport: () => ChatTransport | null;
  now: () => number;
  timeoutMs?: number;
  /** A contact's indicator turned on or off. */
  onTyping: (conversationId: string, typing: boolean) => void;
  /** A frame decrypted under a new identity key (defensive: a Whisper frame cannot bring one). */
  onIdentityChanged: (userId: string) => void;
}

export class TypingChannel {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly sent = new Map<string, number>();

  constructor(private readonly options: TypingChannelOptions) {}

  /** True while a `started` frame went out for the conversation and no `stopped` since. */
  active(conversationId: string): boolean {
    return this.sent.has(conversationId);
  }

  /**
   * Tells the contact this user is (not) typing. `started` goes out at most every
   * {@link TYPING_RESEND_MS} while active, `stopped` once. Only to devices with a confirmed
   * session (receivers drop PreKey frames); dropped offline.
   */
  async set(conversationId: string, active: boolean): Promise<void> {
    const { crypto, devices, now } = this.options;
    const last = this.sent.get(conversationId);
    if (active && last !== undefined && now() - last < TYPING_RESEND_MS) return;
    if (!active && last === undefined) return;
    if (active) this.sent.set(conversationId, now());
    else this.sent.delete(conversationId);
    const transport = this.options.transport();
    if (!transport?.connected) return;
    const plaintext = encodeContent({ v: 1, t: 'typing', action: active ? 'started' : 'stopped', sentAt: now() });
    const envelopes: OutgoingEnvelope[] = [];
    for (const device of devices.get(conversationId) ?? []) {
      const address = { name: conversationId, deviceId: device.protocolDeviceId };
      if (!(await crypto.hasSession(address))) continue;
      const message = await crypto.encrypt(plaintext, address);
      if (message.type === CiphertextMessageType.Whisper) envelopes.push(toOutgoingEnvelope(device, message));
    }
    if (envelopes.length > 0) await transport.sendTyping({ recipientUserId: conversationId, envelopes });
  }

  /** A typing frame from the transport: shown until `stopped` or the timeout. */
  async receive(frame: TypingNew): Promise<void> {
    if (frame.senderUserId === this.options.selfUserId) return;
    if (frame.type !== CiphertextMessageType.Whisper) return; // a PreKey frame is dropped unread
    const device = await this.options.devices.lookup(frame.senderUserId, frame.senderDeviceId);
    if (!device) return;
    const { plaintext, identityChanged } = await this.options.crypto.decryptMessage(
      { type: frame.type as CiphertextMessage['type'], body: fromBase64(frame.ciphertext) },
      { name: frame.senderUserId, deviceId: device.protocolDeviceId },
    );
    if (identityChanged) this.options.onIdentityChanged(frame.senderUserId);
    const content = decodeContent(plaintext);
    if (content.t !== 'typing') return;
    const conversationId = frame.senderUserId;
    clearTimeout(this.timers.get(conversationId));
    if (content.action === 'started') {
      this.timers.set(
        conversationId,
        setTimeout(() => {
          this.timers.delete(conversationId);
          this.options.onTyping(conversationId, false);
        }, this.options.timeoutMs ?? TYPING_TIMEOUT_MS),
      );
      this.options.onTyping(conversationId, true);
    } else {
      this.timers.delete(conversationId);
      this.options.onTyping(conversationId, false);
    }
  }

  /** Clears the indicators' timers. */
  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
