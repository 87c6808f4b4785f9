/**
 * Test support: an in-memory stand-in for the api's messaging and key directory (one relay for
 * every device of a test) and a transport shaped like `PairchatClient`, so two or more real
 * ts-engine devices (crypto/fake-engine-worker.ts) talk through their chat services.
 * The relay keeps the server rules the pipeline depends on: complete device lists
 * (DEVICES_MISMATCH with missing/extra/stale), idempotent client message ids, per-device queues in
 * order, redelivery of unacked envelopes on reconnect, bundle claims that consume one-time prekeys.
 * @module
 */
import { fromBase64 } from '@pairchat/crypto';
import type { DeviceBundleWire, KeysUploadRequest, PreKeyBundleResponse } from '@pairchat/keys';
import {
  type DeviceMismatchDetails,
  type Envelope,
  type EnvelopeHandler,
  type MessageSendAck,
  type MessageSendPayload,
  type PairchatClientEvents,
  type Presence,
  type SocketError,
  TypedEmitter,
  type TypingSendPayload,
} from '@pairchat/messaging';
import { EngineClient } from '../../crypto/engine-client.js';
import { fakeEngineWorker } from '../../crypto/fake-engine-worker.js';
import { DeviceStores } from '../../crypto/idb-stores.js';
import { Vault } from '../../crypto/vault.js';
import { ChatService, type ChatDirectory, type ChatTransport, type DeviceAddress } from '../chat-service.js';
import { HistoryStore } from '../history-store.js';

interface RelayDevice {
  userId: string;
  deviceId: string;
  protocolDeviceId: number;
  registrationId: number;
  upload: KeysUploadRequest;
  claimed: number;
  transport: FakeTransport;
  /** Envelopes waiting for this device's ack, in order. */
  queue: Envelope[];
}

let uuidCounter = 0;
const uuid = () => `00000000-0000-4000-8000-${(++uuidCounter).toString(16).padStart(12, '0')}`;

export class FakeRelay {
  readonly devices = new Map<string, RelayDevice>();
  private readonly accepted = new Map<string, MessageSendAck>();
  private readonly messages = new Map<
    string,
    {
      senderUserId: string;
      senderDeviceId: string;
      clientMessageId: string;
      recipientUserId: string;
      delivered: boolean;
    }
  >();
  private envelopeSeq = 0;
  /** Every accepted `message:send`, for assertions (ciphertext only). */
  readonly log: MessageSendPayload[] = [];
  /** Bundle claims per target user, for assertions. */
  readonly claims: string[] = [];
  clock = 1_700_000_000_000;
  /** The next `message:send` is refused with this code (a final error such as NOT_PAIRED). */
  refuseNext: string | null = null;

  register(device: Omit<RelayDevice, 'claimed' | 'queue'>): void {
    this.devices.set(device.deviceId, { ...device, claimed: 0, queue: [] });
  }

  remove(deviceId: string): void {
    this.devices.delete(deviceId);
  }

  private devicesOf(userId: string): RelayDevice[] {
    return [...this.devices.values()].filter((d) => d.userId === userId);
  }

  directoryFor(callerDeviceId: string): ChatDirectory {
    return {
      claimPreKeyBundles: async (userId, deviceIds) => this.claim(callerDeviceId, userId, deviceIds),
      listDeviceAddresses: async (userId) =>
        this.devicesOf(userId).map<DeviceAddress>((d) => ({
          deviceId: d.deviceId,
          protocolDeviceId: d.protocolDeviceId,
          registrationId: d.registrationId,
        })),
    };
  }

  private claim(callerDeviceId: string, userId: string, deviceIds?: string[]): PreKeyBundleResponse {
    this.claims.push(userId);
    const devices = this.devicesOf(userId).filter(
      (d) => d.deviceId !== callerDeviceId && (!deviceIds || deviceIds.includes(d.deviceId)),
    );
    const identityKey = devices[0]?.upload.identityKey ?? this.devicesOf(userId)[0]?.upload.identityKey;
    if (!identityKey) throw Object.assign(new Error('KEYS_NOT_FOUND'), { status: 404 });
    return {
      identityKey,
      devices: devices.map((d): DeviceBundleWire => {
        const i = d.claimed++;
        const preKey = d.upload.preKeys![i]!;
        const kyber = d.upload.kyberPreKeys![i]!;
        return {
          deviceId: d.deviceId,
          protocolDeviceId: d.protocolDeviceId,
          registrationId: d.registrationId,
          signedPreKey: d.upload.signedPreKey!,
          preKey,
          kyberPreKey: kyber,
        };
      }),
    };
  }

  /** `message:send` as the api answers it. */
  submit(sender: RelayDevice, payload: MessageSendPayload): MessageSendAck | { ok: false; error: SocketError } {
    if (this.refuseNext) {
      const code = this.refuseNext;
      this.refuseNext = null;
      return { ok: false, error: { code, message: 'refused' } };
    }
    const key = `${sender.deviceId}/${payload.clientMessageId}`;
    const existing = this.accepted.get(key);
    if (existing) return { ...existing, duplicate: true };
    const expected = [
      ...this.devicesOf(payload.recipientUserId),
      ...(payload.recipientUserId === sender.userId ? [] : this.devicesOf(sender.userId)),
    ].filter((d) => d.deviceId !== sender.deviceId);
    const details: DeviceMismatchDetails = { missing: [], extra: [], stale: [] };
    const submitted = new Set(payload.envelopes.map((e) => e.deviceId));
    for (const envelope of payload.envelopes) {
      const device = expected.find((d) => d.deviceId === envelope.deviceId);
      if (!device) details.extra.push({ deviceId: envelope.deviceId });
      else if (envelope.registrationId !== undefined && envelope.registrationId !== device.registrationId)
        details.stale.push({ userId: device.userId, deviceId: device.deviceId });
    }
    for (const d of expected)
      if (!submitted.has(d.deviceId)) details.missing.push({ userId: d.userId, deviceId: d.deviceId });
    if (details.missing.length + details.extra.length + details.stale.length > 0) {
      return {
        ok: false,
        error: { code: 'DEVICES_MISMATCH', message: 'the device list is not current', details: { ...details } },
      };
    }
    const messageId = uuid();
    const serverTimestamp = new Date(this.clock++).toISOString();
    const ack: MessageSendAck = { ok: true, messageId, serverTimestamp, duplicate: false };
    this.accepted.set(key, ack);
    this.log.push(payload);
    this.messages.set(messageId, {
      senderUserId: sender.userId,
      senderDeviceId: sender.deviceId,
      clientMessageId: payload.clientMessageId,
      recipientUserId: payload.recipientUserId,
      delivered: false,
    });
    for (const envelope of payload.envelopes) {
      const target = this.devices.get(envelope.deviceId)!;
      const queued: Envelope = {
        id: String(++this.envelopeSeq),
        messageId,
        kind: payload.kind ?? 'message',
        senderUserId: sender.userId,
        senderDeviceId: sender.deviceId,
        recipientUserId: payload.recipientUserId,
        type: envelope.type,
        ciphertext: envelope.ciphertext,
        serverTimestamp,
      };
      target.queue.push(queued);
      target.transport.deliver(queued);
    }
    return ack;
  }

  /** Typing relay: online devices only, never stored. */
  relayTyping(sender: RelayDevice, payload: TypingSendPayload): void {
    for (const envelope of payload.envelopes) {
      this.devices.get(envelope.deviceId)?.transport.typingFrame({
        senderUserId: sender.userId,
        senderDeviceId: sender.deviceId,
        type: envelope.type,
        ciphertext: envelope.ciphertext,
        serverTimestamp: new Date(this.clock).toISOString(),
      });
    }
  }

  ack(device: RelayDevice, envelopeId: string): void {
    const index = device.queue.findIndex((e) => e.id === envelopeId);
    if (index < 0) return;
    const [envelope] = device.queue.splice(index, 1);
    const message = this.messages.get(envelope!.messageId);
    if (!message || message.delivered || device.userId !== message.recipientUserId || envelope!.kind !== 'message')
      return;
    message.delivered = true;
    for (const d of this.devicesOf(message.senderUserId)) {
      d.transport.serverStatus({
        clientMessageId: message.clientMessageId,
        messageId: envelope!.messageId,
        status: 'delivered',
      });
    }
  }
}

/** A `PairchatClient`-shaped transport over a {@link FakeRelay}. Starts offline; call {@link connect}. */
export class FakeTransport extends TypedEmitter<PairchatClientEvents> implements ChatTransport {
  connected = false;
  private outbox: MessageSendPayload[] = [];
  private handling: Promise<void> = Promise.resolve();
  private readonly handled = new Set<string>();
  onEnvelope: EnvelopeHandler = () => undefined;
  device!: RelayDevice;
  /** Errors the envelope handler threw (the envelope stays queued). */
  readonly errors: unknown[] = [];

  constructor(private readonly relay: FakeRelay) {
    super();
  }

  pending(): MessageSendPayload[] {
    return [...this.outbox];
  }

  async send(payload: MessageSendPayload): Promise<boolean> {
    if (this.outbox.some((p) => p.clientMessageId === payload.clientMessageId)) return false;
    this.outbox.push(structuredClone(payload));
    queueMicrotask(() => this.pump());
    return true;
  }

  async sendTyping(payload: TypingSendPayload): Promise<boolean> {
    if (!this.connected) return false;
    this.relay.relayTyping(this.device, payload);
    return true;
  }

  async getPresence(userIds: string[]): Promise<Presence[]> {
    return userIds.map((userId) => ({
      userId,
      online: [...this.relay.devices.values()].some((d) => d.userId === userId && d.transport.connected),
      lastSeenAt: null,
    }));
  }

  async connect(): Promise<void> {
    this.connected = true;
    this.emit('connected');
    for (const envelope of this.device.queue) this.deliver(envelope);
    this.pump();
  }

  disconnect(): void {
    this.connected = false;
    this.emit('disconnected', 'transport close');
  }

  close(): void {
    if (this.connected) this.disconnect();
  }

  /** Emits a server event as the SDK would re-emit it. */
  emitEvent<E extends keyof PairchatClientEvents>(event: E, ...args: Parameters<PairchatClientEvents[E]>): void {
    this.emit(event, ...args);
  }

  serverStatus(change: { clientMessageId: string; messageId: string; status: 'delivered' }): void {
    if (this.connected) this.emit('status', change);
  }

  typingFrame(frame: Parameters<PairchatClientEvents['typing']>[0]): void {
    if (this.connected) this.emit('typing', frame);
  }

  deliver(envelope: Envelope): void {
    if (!this.connected) return;
    this.handling = this.handling.then(async () => {
      if (!this.connected || !this.device.queue.some((e) => e.id === envelope.id)) return;
      if (!this.handled.has(envelope.id)) {
        try {
          await this.onEnvelope(structuredClone(envelope));
        } catch (error) {
          this.errors.push(error);
          return;
        }
        this.handled.add(envelope.id);
      }
      this.relay.ack(this.device, envelope.id);
    });
  }

  /** Resolves once every envelope delivered so far was handled. */
  idle(): Promise<void> {
    return this.handling;
  }

  private pump(): void {
    if (!this.connected) return;
    for (const payload of [...this.outbox]) {
      const answer = this.relay.submit(this.device, payload);
      this.outbox = this.outbox.filter((p) => p.clientMessageId !== payload.clientMessageId);
      if (answer.ok) {
        this.emit('status', { clientMessageId: payload.clientMessageId, messageId: answer.messageId, status: 'sent' });
        this.emit('sent', payload.clientMessageId, answer);
      } else {
        this.emit('send-failed', {
          clientMessageId: payload.clientMessageId,
          error: answer.error,
          reencrypt: answer.error.code === 'DEVICES_MISMATCH',
        });
      }
    }
  }
}

let databaseCounter = 0;
const databases = new Map<string, string>();

/** One real device (ts engine in a fake worker, history in fake-indexeddb) on the relay. */
export async function relayDevice(
  relay: FakeRelay,
  userId: string,
  protocolDeviceId: number,
  options: { contacts?: string[]; service?: boolean; freshIdentity?: boolean } = {},
) {
  const database = `chat-test-${Date.now()}-${++databaseCounter}`;
  // Devices of one account share its identity key (as linking gives them): copy it store to store.
  const sibling = options.freshIdentity ? undefined : [...relay.devices.values()].find((d) => d.userId === userId);
  if (sibling) {
    const from = await DeviceStores.open({ name: databases.get(sibling.deviceId)! });
    const to = await DeviceStores.open({ name: database });
    await to.setLocalIdentity(await from.protocol.identity.getIdentityKeyPair(), 1 + ((protocolDeviceId * 97) % 16000));
    from.close();
    to.close();
  }
  const engine = new EngineClient(fakeEngineWorker().worker);
  let status = await engine.open(database, userId);
  if (!status.hasIdentity) status = await engine.createIdentity();
  const upload = await engine.initialUpload();
  await engine.setProtocolDeviceId(protocolDeviceId);
  const deviceId = uuid();
  databases.set(deviceId, database);
  const transport = new FakeTransport(relay);
  relay.register({ userId, deviceId, protocolDeviceId, registrationId: status.registrationId!, upload, transport });
  transport.device = relay.devices.get(deviceId)!;
  const vault = await Vault.open({ name: database });
  const history = new HistoryStore(vault, () => relay.clock);
  const build = () => {
    const service = new ChatService({
      self: { userId, deviceId, protocolDeviceId },
      crypto: engine,
      directory: relay.directoryFor(deviceId),
      history,
      now: () => relay.clock,
      contacts: () => options.contacts ?? [],
      retryDelayMs: 20,
    });
    service.attach(transport);
    transport.onEnvelope = (e) => service.handleEnvelope(e);
    return service;
  };
  const service = build();
  if (options.service === false) {
    service.stop();
    transport.onEnvelope = () => undefined;
  } else await service.start();
  return {
    userId,
    deviceId,
    engine,
    transport,
    history,
    vault,
    service,
    database,
    identityKey: fromBase64(upload.identityKey),
    build,
  };
}
