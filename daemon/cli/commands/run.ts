import type { Command } from '../command.js';
import { loadConfig } from '../../config/load.js';
import { Daemon } from '../../daemon.js';
import { createLogger } from '../../logger.js';
import { startTracing } from '../../tracing.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'Run the daemon (embedded defaults when no config is given)',
  usage: `chainwatch run [--config FILE] [--port N] [--data-dir DIR]

  --config FILE    YAML config (see docs/configuration.md; CHAINWATCH_* env vars override it)
  --port N         HTTP port for /healthz, /readyz, /metrics (default 8080; 0 = any free port)
  --data-dir DIR   where embedded state lives (default ./.data)

SIGTERM/SIGINT stop intake, drain in-flight work, commit and exit 0 within shutdown.deadline.`,
  options: { config: { type: 'string', short: 'c' }, port: { type: 'string', short: 'p' }, 'data-dir': { type: 'string' } },
  async run({ values }, io) {
    // Only digits become a number; anything else ('', '80a') reaches validation as a string and fails there.
    const port = typeof values.port === 'string' && /^\d+$/.test(values.port) ? Number(values.port) : values.port;
    const loaded = loadConfig({
      file: values.config as string | undefined,
      env: io.env,
      flags: { 'http.port': port, dataDir: values['data-dir'] },
    });
    const { config } = loaded;
    const logger = createLogger(config.log.level, loaded.redactor);
    if (loaded.ignoredEnv.length) logger.warn({ variables: loaded.ignoredEnv }, 'ignoring CHAINWATCH_* variables that name no config key');
    for (const w of loaded.warnings) logger.warn({ path: w.path }, `deprecated config: ${w.message}`);
    const tracing = await startTracing(config.tracing, logger);
    const daemon = await Daemon.create(config, logger);
    let signalled: NodeJS.Signals | undefined;
    const done = new Promise<number>((resolve) => {
      const onSignal = (sig: NodeJS.Signals): void => {
        if (signalled) {
          logger.warn({ signal: sig }, 'second signal: exiting now; uncommitted events will be redelivered');
          resolve(1);
          return;
        }
        signalled = sig;
        logger.info({ signal: sig, deadlineMs: config.shutdown.deadline }, 'shutting down: stopping intake, draining');
        const deadline = setTimeout(() => {
          // In-flight events were not committed, so they are redelivered on the next start.
          logger.warn({ deadlineMs: config.shutdown.deadline }, 'shutdown deadline reached; exiting with work in flight');
          resolve(0);
        }, config.shutdown.deadline);
        deadline.unref();
        daemon
          .stop()
          .then(() => tracing.stop())
          .then(
            () => resolve(0),
            (err: unknown) => {
              logger.error({ err: err instanceof Error ? err.message : String(err) }, 'error during shutdown');
              resolve(1);
            },
          );
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    });
    process.on('unhandledRejection', (err) => logger.error({ err: err instanceof Error ? err.message : String(err) }, 'unhandled rejection (kept running)'));
    try {
      const bound = await daemon.start();
      io.stderr.write(`chainwatch listening on http://${config.http.host}:${bound} (bus: ${config.bus.kind}, data: ${config.dataDir})\n`);
    } catch (err) {
      logger.error({ err: err instanceof Error ? err.message : String(err) }, 'startup failed');
      await daemon.stop().catch(() => undefined);
      throw err;
    }
    return done;
  },
};
