import { describe, expect, it } from '@jest/globals';
import { advanceStatus, MESSAGE_STATUSES, StatusTracker, type StatusChange } from './status.js';

const M1 = '8f14e45f-ceea-467a-9af0-000000000001';
const M2 = '8f14e45f-ceea-467a-9af0-000000000002';

describe(advanceStatus.name, () => {
  it.each([
    ['pending', 'sent', 'sent'],
    ['sent', 'delivered', 'delivered'],
    ['delivered', 'read', 'read'],
    ['pending', 'read', 'read'],
    ['read', 'delivered', 'read'],
    ['delivered', 'sent', 'delivered'],
    ['sent', 'pending', 'sent'],
    ['pending', 'failed', 'failed'],
    ['sent', 'failed', 'sent'],
    ['failed', 'sent', 'failed'],
  ] as const)('moves %s with %s to %s', (current, next, expected) => {
    expect(advanceStatus(current, next)).toBe(expected);
  });

  it('never moves backwards for any pair of statuses', () => {
    const order = ['pending', 'sent', 'delivered', 'read'];
    for (const a of MESSAGE_STATUSES)
      for (const b of MESSAGE_STATUSES) {
        const result = advanceStatus(a, b);
        if (a !== 'failed' && result !== 'failed')
          expect(order.indexOf(result)).toBeGreaterThanOrEqual(order.indexOf(a));
      }
  });
});

describe(StatusTracker.name, () => {
  const track = () => {
    const sut = new StatusTracker();
    const changes: StatusChange[] = [];
    sut.on('status', (c) => changes.push(c));
    return { sut, changes };
  };

  it('emits once per forward move and ignores repeats and late statuses', () => {
    const { sut, changes } = track();
    sut.apply('c1', 'pending');
    sut.apply('c1', 'sent', M1);
    sut.apply('c1', 'sent', M1);
    sut.apply('c1', 'read');
    sut.apply('c1', 'delivered');
    expect(changes.map((c) => c.status)).toEqual(['pending', 'sent', 'read']);
    expect(sut.get('c1')).toBe('read');
    expect(changes[2]).toEqual({ clientMessageId: 'c1', messageId: M1, status: 'read' });
  });

  it('turns a decrypted receipt into status events by server message id', () => {
    const { sut, changes } = track();
    sut.apply('c1', 'sent', M1);
    const unknown = sut.applyReceipt('read', [M1, M2]);
    expect(unknown).toEqual([M2]);
    expect(sut.getByMessageId(M1)).toBe('read');
    expect(changes.at(-1)).toEqual({ clientMessageId: 'c1', messageId: M1, status: 'read' });
  });

  it('does not let a failed message become sent', () => {
    const { sut } = track();
    sut.apply('c1', 'pending');
    sut.apply('c1', 'failed');
    expect(sut.apply('c1', 'sent', M1)).toBe(false);
    expect(sut.get('c1')).toBe('failed');
  });
});
