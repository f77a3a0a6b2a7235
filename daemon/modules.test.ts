import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type CapabilityModule, ConfigError, configFingerprint, defineModule, duration, EXIT } from '../core/index.js';
import { main } from './cli/main.js';
import { loadConfig } from './config/load.js';
import { buildConfigSchema, sectionOf } from './config/schema.js';
import { plan } from './plan.js';
import { busModules, capabilityModules } from './registry.js';

/**
 * The module contract end to end, with a capability the registry does not have: its section is
 * validated with full key paths, it plans components and routes, its commands reach the CLI —
 * the worked example of docs/architecture.md ("Adding a capability").
 */
const heartbeat = defineModule({
  id: 'collectors.heartbeat',
  summary: 'Publishes a probe event on a schedule',
  section: {
    group: 'collectors',
    key: 'heartbeat',
    schema: z
      .object({ interval: duration().prefault('1m'), targets: z.array(z.string().min(1)).default([]) })
      .strict()
      .optional(),
  },
  components: (cfg) =>
    (cfg?.targets ?? []).map((t) => ({
      name: `collector.heartbeat:${t}`,
      kind: 'collector' as const,
      fingerprint: configFingerprint({ t, interval: cfg!.interval }),
      create: () => ({ name: t, start: async () => {}, stop: async () => {}, flush: async () => {} }),
    })),
  routes: (cfg) =>
    cfg
      ? [
          {
            name: 'heartbeat.status',
            method: 'GET',
            path: '/heartbeat',
            auth: { kind: 'public' },
            handler: async () => ({ status: 200, body: { targets: cfg.targets } }),
          },
        ]
      : [],
  commands: [
    {
      name: 'heartbeat targets',
      summary: 'List the configured heartbeat targets',
      json: true,
      config: true,
      async run(inv) {
        const targets = inv.section?.targets ?? [];
        inv.io.out(inv.json ? JSON.stringify(targets) : targets.join('\n'));
        return EXIT.ok;
      },
    },
  ],
});
const modules = [...capabilityModules, heartbeat as CapabilityModule];
const schema = buildConfigSchema(modules, busModules);

function yaml(text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'cw-mod-')), 'chainwatch.yaml');
  writeFileSync(f, text);
  return f;
}

describe('capability modules', () => {
  it('validate their section in the one config pass, errors carrying the full key path', () => {
    const { config } = loadConfig({ file: yaml('collectors:\n  heartbeat:\n    interval: 5s\n    targets: [a, b]\n'), env: {}, schema });
    expect(sectionOf(config, heartbeat as CapabilityModule)).toEqual({ interval: 5000, targets: ['a', 'b'] });
    try {
      loadConfig({ file: yaml('collectors:\n  heartbeat:\n    interval: soon\n    tragets: []\n'), env: {}, schema });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues.map((i) => i.path).sort()).toEqual(['collectors.heartbeat', 'collectors.heartbeat.interval']);
    }
    // The registry's own config is unaffected: the same file fails there for the unknown section.
    expect(() => loadConfig({ file: yaml('collectors:\n  heartbeat: {}\n'), env: {} })).toThrow(ConfigError);
  });

  it('plan components and routes from their section, and share facts (the audit link reaches the alert pipeline)', () => {
    const { config } = loadConfig({
      file: yaml(
        'http:\n  publicUrl: https://cw.example\ncollectors:\n  heartbeat:\n    targets: [a]\nsinks:\n  alerts:\n    receivers:\n      - { name: hook, kind: webhook, webhookUrl: "https://hooks.example/x", secret: abcdefgh }\n',
      ),
      env: {},
      schema,
    });
    const p = plan(config, modules);
    expect(p.components.map((c) => [c.kind, c.name]).sort()).toEqual([
      ['collector', 'collector.heartbeat:a'],
      ['sink', 'sink.alerts'],
      ['sink', 'sink.audit'],
    ]);
    expect(p.routes.map((r) => r.path).sort()).toEqual(['/audit/checkpoints/:size', '/audit/records', '/audit/records/:ref', '/heartbeat']);
    expect(p.facts.auditRecordUrl).toBe('https://cw.example/audit/records/{findingId}');
  });

  it('contribute commands to the CLI, with --help generated from the same definition', async () => {
    const run = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
      const out: string[] = [];
      const err: string[] = [];
      const sink = (arr: string[]) => Object.assign(new PassThrough(), { write: (c: string) => (arr.push(c), true) }) as unknown as NodeJS.WritableStream;
      const code = await main(argv, { stdout: sink(out), stderr: sink(err), stdin: new PassThrough(), env }, modules);
      return { code, out: out.join(''), err: err.join('') };
    };
    const file = yaml('collectors:\n  heartbeat:\n    targets: [x, y]\n');
    expect(await run(['heartbeat', 'targets', '--config', file, '--json'])).toMatchObject({ code: 0, out: '["x","y"]\n' });
    const help = await run(['heartbeat', 'targets', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: chainwatch heartbeat targets \[--json\] \[--config FILE\] \[--data-dir DIR\]/m);
    expect((await run(['heartbeat'])).code).toBe(EXIT.usage); // a group word alone lists its commands
    expect(await run(['heartbeat', '--help'])).toMatchObject({ code: 0, out: expect.stringContaining('heartbeat targets') });
    expect((await run(['heartbeat', 'targets', '--bogus'])).code).toBe(EXIT.usage);
    const bad = await run(['heartbeat', 'targets', '--config', yaml('collectors:\n  heartbeat:\n    interval: -1\n')]);
    expect([bad.code, bad.err]).toEqual([EXIT.usage, expect.stringContaining('collectors.heartbeat.interval')]);
  });
});
