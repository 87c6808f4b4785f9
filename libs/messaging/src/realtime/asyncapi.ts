import { z } from 'zod';
import {
  clientAckSchemas,
  clientEventSchemas,
  handshakeAuthSchema,
  HANDSHAKE_ERROR_CODES,
  serverEventSchemas,
} from './events.js';
import { REALTIME_ERROR_CODES } from './errors.js';

/** What each event is for, in the AsyncAPI document. */
export const EVENT_SUMMARIES: Partial<
  Record<keyof typeof clientEventSchemas | keyof typeof serverEventSchemas, string>
> = {
  'message:send':
    'Send an encrypted message: one ciphertext per recipient device and per own other device. Idempotent per clientMessageId; acked with the server id and timestamp after the commit.',
  'message:ack':
    'The device stored these envelopes (or notices); they leave its queue. The first recipient-device ack makes a message `delivered`.',
  'typing:send': 'An encrypted typing frame per device; relayed to devices online now, never stored.',
  'presence:get': 'Online state and last seen of paired users (others are left out of the answer).',
  'message:new':
    'One queued envelope for this device (live, or while draining the queue on connect, in server order, pages of 100).',
  'queue:notice':
    'A server-made queue entry: `gap` (N envelopes expired unread) or `expired` (messages you sent expired undelivered). Ack it like an envelope.',
  'queue:empty': 'Everything queued for this device so far was sent.',
  'message:status':
    'A message you (any of your devices) sent moved forward: `sent` (stored; to your other devices, the sending one has the ack) or `delivered` (first recipient device acked; to all of them).',
  'typing:new': 'An encrypted typing frame from a paired user; drop it when older than 10 s.',
  'presence:update': 'A paired user came online or went offline.',
  'keys:replenish':
    "This device's one-time prekeys on the server fell below the threshold; upload more (`PUT /keys`). Counts are what remains.",
  'keys:rotate':
    "This device's signed EC prekey or last-resort Kyber prekey is due (`due`) or past its maximum age (`stale`) for rotation.",
  'device:link-completed':
    'To a new device: an existing device of the account completed its link; fetch the sealed identity with `GET /devices/links/:linkId`.',
  error:
    'An inbound event was refused; nothing was stored. Also sent as the ack `{ ok: false, error }` when the event had an ack.',
};

const id = (event: string) => event.replace(/[:](\w)/g, (_, c: string) => c.toUpperCase());
const schema = (s: z.ZodType) => {
  const json = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json['$schema'];
  return json;
};

/**
 * The AsyncAPI 3.0 description of the Socket.IO protocol, built from the shared zod schemas.
 * `asyncapi.yaml` at the repo root is this document; a test fails when they drift apart.
 */
export function asyncApiDocument(): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const add = (event: string, payload: z.ZodType, action: 'send' | 'receive', ack?: z.ZodType) => {
    const name = id(event);
    messages[name] = {
      name: event,
      summary: EVENT_SUMMARIES[event as keyof typeof EVENT_SUMMARIES] ?? 'undocumented',
      payload: schema(payload),
    };
    channels[name] = { address: event, messages: { [name]: { $ref: `#/components/messages/${name}` } } };
    const operation: Record<string, unknown> = {
      action,
      channel: { $ref: `#/channels/${name}` },
      summary: action === 'receive' ? `Client emits \`${event}\`` : `Server emits \`${event}\``,
    };
    if (ack) {
      const ackName = `${name}Ack`;
      messages[ackName] = {
        name: `${event} ack`,
        summary: `Socket.IO acknowledgement of \`${event}\`: the answer, or \`{ ok: false, error }\`.`,
        payload: {
          oneOf: [schema(ack), schema(z.strictObject({ ok: z.literal(false), error: serverEventSchemas.error }))],
        },
      };
      channels[name] = {
        ...(channels[name] as object),
        messages: {
          [name]: { $ref: `#/components/messages/${name}` },
          [ackName]: { $ref: `#/components/messages/${ackName}` },
        },
      };
      operation['reply'] = {
        channel: { $ref: `#/channels/${name}` },
        messages: [{ $ref: `#/channels/${name}/messages/${ackName}` }],
      };
    }
    operations[
      action === 'receive'
        ? `receive${name[0]!.toUpperCase()}${name.slice(1)}`
        : `send${name[0]!.toUpperCase()}${name.slice(1)}`
    ] = operation;
  };
  for (const [event, payload] of Object.entries(clientEventSchemas))
    add(event, payload, 'receive', clientAckSchemas[event as keyof typeof clientAckSchemas]);
  for (const [event, payload] of Object.entries(serverEventSchemas)) add(event, payload, 'send');

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Pairchat realtime API',
      version: '1.0.0',
      description: [
        'Socket.IO 4 protocol of the Pairchat api (websocket transport first, HTTP long-polling allowed), path `/socket.io`.',
        'Authenticate with `io(url, { auth: { token: <access token> } })`. A refused handshake fails with `connect_error` whose',
        `\`data.code\` is one of ${HANDSHAKE_ERROR_CODES.join(', ')}.`,
        'The server relays opaque ciphertext and never parses message content. Error codes: ' +
          REALTIME_ERROR_CODES.join(', ') +
          '.',
        'Generated from libs/messaging/src/realtime/events.ts (`npm run asyncapi`); a test keeps this file in step.',
      ].join('\n'),
      license: { name: 'AGPL-3.0-only' },
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: 'localhost:3000',
        pathname: '/socket.io',
        protocol: 'ws',
        description: 'Single-node default (`npm start`).',
      },
    },
    channels,
    operations,
    components: { messages, schemas: { HandshakeAuth: schema(handshakeAuthSchema) } },
  };
}
