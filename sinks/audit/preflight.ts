import { ConfigError, describeKeyRef, KeyError, type ModuleCheckHost, type ModuleWarning, type Signer } from '../../core/index.js';
import { checkpointKeyRef, keyInside } from './checkpoint.js';
import type { AuditConfig } from './config.js';
import { auditDir } from './factory.js';

type KeySection = Pick<AuditConfig, 'enabled' | 'key'>;

/** A key beside the data it protects: whoever can rewrite the trail can re-sign it too. */
export function auditWarnings(cfg: KeySection, host: { dataDir: string }): ModuleWarning[] {
  if (!cfg.enabled || !keyInside(checkpointKeyRef(cfg, auditDir(host.dataDir)), host.dataDir)) return [];
  return [
    {
      path: 'sinks.audit.key',
      message:
        'the audit checkpoint key is inside the data directory: whoever can rewrite the trail can re-sign it; set sinks.audit.key to a key outside it (docs/audit.md)',
    },
  ];
}

/**
 * A checkpoint key that exists but cannot be used (readable by group/others, unreadable, not a
 * supported key; in a token: wrong PIN, token or key missing) refuses the start: the sink would
 * crash-loop, nothing would be audited and, past the bus's retention, events would age out
 * unaudited. A key file that does not exist yet is fine: the sink creates it on first start. A
 * token key is never created by chainwatch, so a missing one refuses the start too.
 */
export async function auditPreflight(cfg: KeySection, host: ModuleCheckHost): Promise<void> {
  if (!cfg.enabled) return;
  const ref = checkpointKeyRef(cfg, auditDir(host.dataDir));
  let signer: Signer;
  try {
    signer = await host.keys.open(ref, { create: false });
  } catch (err) {
    if ('file' in ref && err instanceof KeyError && err.code === 'KEY_NOT_FOUND') return;
    const code = err instanceof KeyError ? err.code : 'KEY_UNREADABLE';
    const message = `sinks.audit.key: the checkpoint key (${describeKeyRef(ref)}) cannot be used: ${code}${code === 'KEY_INSECURE' ? ' (chmod 600 it)' : ''}`;
    throw new ConfigError('CONFIG_UNSAFE', message, [{ path: 'sinks.audit.key', message }], err);
  }
  await signer.close?.(); // the sink opens its own when it starts
}
