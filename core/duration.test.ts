import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configFieldKind, configJsonSchema } from './config-fields.js';
import { duration, durationSchema, formatDuration, parseDuration } from './duration.js';
import { Secret, secretSchema } from './secret.js';

describe('durations', () => {
  it('parses every unit into milliseconds and formats back exactly', () => {
    expect(['500ms', '30s', '1.5m', '5m', '1h', '7d'].map(parseDuration)).toEqual([500, 30_000, 90_000, 300_000, 3_600_000, 604_800_000]);
    expect(['', '5', '5 m', '-1s', '1w', '1h30m'].map(parseDuration)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
    for (const ms of [0, 1, 250, 1000, 90_000, 3_600_000, 86_400_000, 34_560_000_000, 1234]) expect(parseDuration(formatDuration(ms))).toBe(ms);
    expect([90_000, 7_200_000, 604_800_000, 1500].map(formatDuration)).toEqual(['90s', '2h', '7d', '1500ms']);
  });

  it('keeps a bare number as milliseconds and enforces bounds', () => {
    expect(durationSchema.parse(250)).toBe(250);
    expect(durationSchema.parse('2m')).toBe(120_000);
    expect(durationSchema.safeParse('2 minutes').success).toBe(false);
    const bounded = duration({ min: 100, max: 60_000 });
    expect(bounded.parse('100ms')).toBe(100);
    expect(bounded.safeParse('99ms').success).toBe(false);
    expect(bounded.safeParse('61s').success).toBe(false);
    expect(duration({ min: 1 }).safeParse('0s').success).toBe(false);
  });
});

describe('config field marks', () => {
  it('survive refinements and are found through wrappers only by the walker (not on the wrapper itself)', () => {
    expect(configFieldKind(durationSchema)).toBe('duration');
    expect(configFieldKind(duration({ min: 1, max: 5 }))).toBe('duration');
    expect(configFieldKind(secretSchema.refine((s) => s.reveal().length > 3))).toBe('secret');
    expect(configFieldKind(z.string())).toBeUndefined();
    expect(configFieldKind(z.union([z.string(), z.number()]))).toBeUndefined();
    expect(configFieldKind(durationSchema.optional())).toBeUndefined();
  });

  it('a secret field wraps plain strings and keeps Secrets, printing [redacted]', () => {
    const s = secretSchema.parse('hunter2');
    expect(s).toBeInstanceOf(Secret);
    expect(secretSchema.parse(s)).toBe(s);
    expect(JSON.stringify({ s })).toBe('{"s":"[redacted]"}');
    expect(String(s)).toBe('[redacted]');
  });

  it('shows durations and secrets in their file spelling in the JSON Schema, defaults included', () => {
    const schema = z.object({ wait: duration({ min: 1 }).prefault('30s'), password: secretSchema.optional(), n: z.number().default(3) }).strict();
    const json = configJsonSchema(schema) as { properties: Record<string, { default?: unknown; anyOf?: { type: string; pattern?: string }[] }> };
    expect(json.properties.wait!.default).toBe('30s');
    expect(json.properties.wait!.anyOf!.map((o) => o.type)).toEqual(['string', 'integer']);
    expect(new RegExp(json.properties.wait!.anyOf![0]!.pattern!).test('500ms')).toBe(true);
    expect(json.properties.password!.anyOf!.map((o) => o.type)).toEqual(['string', 'object', 'object']);
    expect(json.properties.n!.default).toBe(3);
  });
});
