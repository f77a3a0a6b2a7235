import { describe, expect, it } from 'vitest';
import { auditGroups } from './bus.js';
import { loadConfig } from './config/load.js';

describe('the groups bus retention waits for (issue 8 item 9)', () => {
  it("is the configured audit sink's group, and none when the audit sink is off", () => {
    expect(auditGroups(loadConfig({ env: {} }).config)).toEqual(['chainwatch-audit']);
    expect(auditGroups(loadConfig({ env: { CHAINWATCH_SINKS__AUDIT__GROUP: 'trail' } }).config)).toEqual(['trail']);
    expect(auditGroups(loadConfig({ env: { CHAINWATCH_SINKS__AUDIT__ENABLED: 'false' } }).config)).toEqual([]);
  });
});
