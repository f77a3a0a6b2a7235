import { type CommandSpec, configJsonSchema as jsonSchemaOf, EXIT } from '../../../core/index.js';
import { createKeyProvider } from '../../../keys/index.js';
import { exposureWarnings } from '../../config/exposure.js';
import { loadConfig } from '../../config/load.js';
import { configSchema } from '../../config/schema.js';
import { moduleWarnings, preflight } from '../../plan.js';
import { capabilityModules } from '../../registry.js';

export const configCheckCommand: CommandSpec = {
  name: 'config check',
  summary: 'Validate a config file (with CHAINWATCH_* overrides); exit 2 naming each bad key',
  args: [{ name: 'FILE', description: 'the YAML config file' }],
  json: true,
  async run(inv) {
    const file = inv.args[0]!;
    const loaded = loadConfig({ file, env: inv.io.env });
    const { config, ignoredEnv } = loaded;
    const warnings = [...loaded.warnings, ...exposureWarnings(config), ...moduleWarnings(config, capabilityModules)];
    // What the daemon would refuse at start (a key others can read): a ConfigError, exit 2 like a bad key.
    await preflight(config, capabilityModules, createKeyProvider());
    for (const v of ignoredEnv) inv.io.err(`warning: ${v} names no config key; ignored`);
    for (const w of warnings) inv.io.err(`warning: ${w.message}`);
    inv.io.out(
      inv.json
        ? JSON.stringify({
            file,
            ok: true,
            bus: config.bus.kind,
            dataDir: config.dataDir,
            http: { host: config.http.host, port: config.http.port },
            ignoredEnv,
            warnings: warnings.map((w) => w.message),
          })
        : `${file}: ok (bus: ${config.bus.kind}, dataDir: ${config.dataDir}, http: ${config.http.host}:${config.http.port})`,
    );
    return EXIT.ok;
  },
};

/** JSON Schema of the config file, for editors (yaml-language-server: $schema=...). */
export function configJsonSchema(): unknown {
  return jsonSchemaOf(configSchema);
}

export const configSchemaCommand: CommandSpec = {
  name: 'config schema',
  summary: 'Print the JSON Schema of the config file (for editors)',
  async run(inv) {
    inv.io.out(JSON.stringify(configJsonSchema(), null, 2));
    return EXIT.ok;
  },
};
