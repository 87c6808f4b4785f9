import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { asyncApiDocument, EVENT_SUMMARIES } from './asyncapi.js';
import { clientEventSchemas, serverEventSchemas } from './events.js';

const file = new URL('../../../../asyncapi.yaml', import.meta.url);

describe('asyncapi.yaml', () => {
  const document = parse(readFileSync(file, 'utf8')) as ReturnType<typeof asyncApiDocument> & {
    channels: Record<string, { address: string }>;
  };

  it('matches the shared wire schema (regenerate with `npm run asyncapi`)', () => {
    expect(document).toEqual(asyncApiDocument());
  });

  it('has a summary for every socket event', () => {
    const events = [...Object.keys(clientEventSchemas), ...Object.keys(serverEventSchemas)];
    expect(events.filter((e) => !EVENT_SUMMARIES[e as keyof typeof EVENT_SUMMARIES])).toEqual([]);
  });

  it('describes every socket event in both directions', () => {
    const addresses = Object.values(document.channels)
      .map((c) => c.address)
      .sort();
    expect(addresses).toEqual([...Object.keys(clientEventSchemas), ...Object.keys(serverEventSchemas)].sort());
  });
});
