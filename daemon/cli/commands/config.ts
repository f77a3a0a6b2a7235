import { configJsonSchema as jsonSchemaOf } from '../../../core/index.js';
import { type Command, EXIT, UsageError } from '../command.js';
import { loadConfig } from '../../config/load.js';
import { configSchema } from '../../config/schema.js';

export const configCheckCommand: Command = {
  name: 'config check',
  summary: 'Validate a config file (with CHAINWATCH_* overrides); exit 2 naming each bad key',
  usage: 'chainwatch config check FILE',
  async run({ positionals }, io) {
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new UsageError('expected exactly one FILE');
    const { config, ignoredEnv, warnings } = loadConfig({ file, env: io.env });
    for (const v of ignoredEnv) io.stderr.write(`warning: ${v} names no config key; ignored\n`);
    for (const w of warnings) io.stderr.write(`warning: ${w.message}\n`);
    io.stdout.write(`${file}: ok (bus: ${config.bus.kind}, dataDir: ${config.dataDir}, http: ${config.http.host}:${config.http.port})\n`);
    return EXIT.ok;
  },
};

/** JSON Schema of the config file, for editors (yaml-language-server: $schema=...). */
export function configJsonSchema(): unknown {
  return jsonSchemaOf(configSchema);
}

export const configSchemaCommand: Command = {
  name: 'config schema',
  summary: 'Print the JSON Schema of the config file (for editors)',
  usage: 'chainwatch config schema',
  async run(_args, io) {
    io.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    return EXIT.ok;
  },
};
