import { ConfigError, type CommandSpec, describeError, EXIT, StorageError } from '../../../core/index.js';
import { loadConfig } from '../../config/load.js';
import { Daemon } from '../../daemon.js';
import { createLogger } from '../../logger.js';
import { startTracing } from '../../tracing.js';

/**
 * `chainwatch run`: the daemon. SIGTERM/SIGINT stop intake, drain in-flight work, commit and exit
 * 0 within shutdown.deadline; a second signal exits at once. SIGHUP re-reads the config: an
 * invalid file is logged and ignored, a valid one is applied (components and routes follow it,
 * unchanged components keep running).
 */
export const runDaemonCommand: CommandSpec = {
  name: 'run',
  summary: 'Run the daemon (embedded defaults when no config is given)',
  options: {
    config: { type: 'string', short: 'c', placeholder: 'FILE', description: 'YAML config (docs/configuration.md; CHAINWATCH_* variables override it)' },
    port: {
      type: 'string',
      short: 'p',
      placeholder: 'N',
      description: 'HTTP port for /healthz, /readyz, /metrics and routes (default 8080; 0 = any free port)',
    },
    'data-dir': { type: 'string', placeholder: 'DIR', description: 'where embedded state lives (default ./.data)' },
  },
  description:
    'SIGTERM/SIGINT: stop intake, drain, commit, exit 0 within shutdown.deadline. SIGHUP: reload the config. Exit 2 when another daemon holds the data directory (its pid is named).',
  async run(inv) {
    const values = inv.options;
    // Only digits become a number; anything else ('', '80a') reaches validation as a string and fails there.
    const port = typeof values.port === 'string' && /^\d+$/.test(values.port) ? Number(values.port) : values.port;
    const options = { file: values.config as string | undefined, env: inv.io.env, flags: { 'http.port': port, dataDir: values['data-dir'] } };
    const loaded = loadConfig(options);
    const { config } = loaded;
    const logger = createLogger(config.log.level, loaded.redactor, 1, config.instance);
    if (loaded.ignoredEnv.length) logger.warn({ variables: loaded.ignoredEnv }, 'ignoring CHAINWATCH_* variables that name no config key');
    for (const w of loaded.warnings) logger.warn({ path: w.path }, `deprecated config: ${w.message}`);
    const tracing = await startTracing(config.tracing, logger);
    let daemon: Daemon;
    try {
      daemon = await Daemon.create(config, logger);
    } catch (err) {
      // Another daemon owns this data directory: a setup error (exit 2), not a crash to retry.
      if (!(err instanceof StorageError && err.code === 'STORAGE_LOCKED')) throw err;
      await tracing.stop();
      inv.io.err(`chainwatch run: ${err.code}: ${err.message}`);
      return EXIT.usage;
    }
    let signalled: NodeJS.Signals | undefined;
    const done = new Promise<number>((resolve) => {
      const onSignal = (sig: NodeJS.Signals): void => {
        if (signalled) {
          logger.warn({ signal: sig }, 'second signal: exiting now; uncommitted events will be redelivered');
          resolve(EXIT.failed);
          return;
        }
        signalled = sig;
        logger.info({ signal: sig, deadlineMs: config.shutdown.deadline }, 'shutting down: stopping intake, draining');
        const deadline = setTimeout(() => {
          // In-flight events were not committed, so they are redelivered on the next start.
          logger.warn({ deadlineMs: config.shutdown.deadline }, 'shutdown deadline reached; exiting with work in flight');
          resolve(EXIT.ok);
        }, config.shutdown.deadline);
        deadline.unref();
        daemon
          .stop()
          .then(() => tracing.stop())
          .then(
            () => resolve(EXIT.ok),
            (err: unknown) => {
              logger.error({ err: err instanceof Error ? err.message : String(err) }, 'error during shutdown');
              resolve(EXIT.failed);
            },
          );
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    });
    // SIGHUP: reload. Reloads run one at a time; one that arrives during start-up waits for it.
    let started = false;
    let reloadWanted = false;
    let reloading: Promise<void> = Promise.resolve();
    const reload = (): void => {
      reloading = reloading.then(async () => {
        if (signalled) return;
        let next;
        try {
          // The same Redactor: secrets the new config brings are scrubbed from every log line too.
          next = loadConfig({ ...options, redactor: loaded.redactor });
        } catch (err) {
          const issues = err instanceof ConfigError ? err.issues : [];
          logger.error({ code: describeError(err).code, issues }, 'new configuration is not valid; the previous one stays in force');
          return;
        }
        for (const w of next.warnings) logger.warn({ path: w.path }, `deprecated config: ${w.message}`);
        await daemon
          .reload(next.config)
          .catch((err: unknown) => logger.error({ err: describeError(err).message }, 'configuration reload failed; the previous one stays in force'));
      });
    };
    process.on('SIGHUP', () => {
      if (started) reload();
      else reloadWanted = true;
    });
    process.on('unhandledRejection', (err) => logger.error({ err: err instanceof Error ? err.message : String(err) }, 'unhandled rejection (kept running)'));
    try {
      const bound = await daemon.start();
      started = true;
      if (reloadWanted) reload();
      inv.io.err(
        `chainwatch listening on http://${config.http.host}:${bound.port}${bound.tlsPort !== undefined ? ` and https://${config.http.tls?.host ?? config.http.host}:${bound.tlsPort}` : ''} (bus: ${config.bus.kind}, data: ${config.dataDir})`,
      );
    } catch (err) {
      logger.error({ err: err instanceof Error ? err.message : String(err) }, 'startup failed');
      await daemon.stop().catch(() => undefined);
      // A module refused this config (a key others can read): a setup error (exit 2), not a crash to retry.
      if (!(err instanceof ConfigError && err.code === 'CONFIG_UNSAFE')) throw err;
      await tracing.stop();
      inv.io.err(`chainwatch run: ${err.code}: ${err.message}`);
      return EXIT.usage;
    }
    return done;
  },
};
