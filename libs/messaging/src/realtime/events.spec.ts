import { describe, expect, it } from '@jest/globals';
import { base64DecodedLength, clientEventSchemas, messageSendSchema } from './events.js';

const UUID = '8f14e45f-ceea-467a-9af0-000000000001';
const valid = {
  clientMessageId: 'c-1',
  recipientUserId: UUID,
  envelopes: [{ deviceId: UUID, registrationId: 1234, type: 3, ciphertext: 'AAECAw==' }],
};

describe('message:send schema', () => {
  it('accepts a valid send and defaults the kind to message', () => {
    expect(messageSendSchema.parse(valid).kind).toBe('message');
  });

  it.each([
    ['an unknown field', { ...valid, extra: 1 }],
    ['a bad client message id', { ...valid, clientMessageId: 'has space' }],
    ['no envelopes', { ...valid, envelopes: [] }],
    [
      'an envelope without a registration id',
      { ...valid, envelopes: [{ deviceId: UUID, type: 3, ciphertext: 'AAAA' }] },
    ],
    [
      'a registration id out of range',
      { ...valid, envelopes: [{ deviceId: UUID, registrationId: 16381, type: 3, ciphertext: 'AAAA' }] },
    ],
    [
      'a non-base64 ciphertext',
      { ...valid, envelopes: [{ deviceId: UUID, registrationId: 1, type: 3, ciphertext: 'not base64!' }] },
    ],
    [
      'an unknown Signal type',
      { ...valid, envelopes: [{ deviceId: UUID, registrationId: 1, type: 7, ciphertext: 'AAAA' }] },
    ],
    [
      'a device id that is not a UUID',
      { ...valid, envelopes: [{ deviceId: 'x', registrationId: 1, type: 2, ciphertext: 'AAAA' }] },
    ],
  ])('rejects %s', (_name, payload) => {
    expect(messageSendSchema.safeParse(payload).success).toBe(false);
  });
});

describe(base64DecodedLength.name, () => {
  it.each([0, 1, 2, 3, 4, 5, 100])('matches Buffer for %i bytes', (n) => {
    expect(base64DecodedLength(Buffer.alloc(n).toString('base64'))).toBe(n);
  });
});

describe('clientEventSchemas', () => {
  it('rejects an ack of more than 100 envelope ids and ids that are not numbers', () => {
    const ids = Array.from({ length: 101 }, (_, i) => String(i + 1));
    expect(clientEventSchemas['message:ack'].safeParse({ envelopeIds: ids }).success).toBe(false);
    expect(clientEventSchemas['message:ack'].safeParse({ envelopeIds: ['0'] }).success).toBe(false);
    expect(clientEventSchemas['message:ack'].safeParse({ envelopeIds: ['12'] }).success).toBe(true);
  });
});
