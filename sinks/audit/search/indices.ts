import type { Logger } from '../../../core/index.js';
import { AuditError } from '../errors.js';
import { checkpointsIndex, indexTemplate, ismPolicy, nodesIndex, recordsIndex, recordsPattern, sideIndexBody } from './mappings.js';
import type { SearchCalls } from './transport.js';

/**
 * The OpenSearch audit store's indices over their life: set up by a writer's first open (index
 * template for the monthly records indices, the nodes and checkpoints indices, the retention
 * policy), required to exist by a reader, and records indices of closed months write-blocked.
 */
const ok = (s: number): boolean => s >= 200 && s < 300;

/** What a writer's open creates; idempotent (existing indices and policies are kept). */
export async function setUpIndices(
  calls: SearchCalls,
  prefix: string,
  opts: { replicas: number; retentionMs: number | undefined; logger: Logger },
): Promise<void> {
  await calls.must({ method: 'PUT', path: `/_index_template/${prefix}`, body: indexTemplate(prefix, opts.replicas) }, 'put index template');
  for (const idx of [nodesIndex(prefix), checkpointsIndex(prefix)]) {
    const res = await calls.call({ method: 'PUT', path: `/${idx}`, body: sideIndexBody(opts.replicas) });
    const type = (res.body as { error?: { type?: string } } | undefined)?.error?.type;
    if (!ok(res.status) && type !== 'resource_already_exists_exception') calls.fail(res, `create ${idx}`);
  }
  // ISM exists on OpenSearch with the index-management plugin; without it we say so once.
  const res = await calls.call({ method: 'PUT', path: `/_plugins/_ism/policies/${prefix}-retention`, body: ismPolicy(prefix, opts.retentionMs) });
  if (ok(res.status) || res.status === 409) return;
  opts.logger.warn({ status: res.status }, 'audit retention policy not installed (no ISM plugin?); monthly indices are kept until deleted by hand');
}

/** The side indices are created with the first open by a writer: without them there is no trail. */
export async function requireTrail(calls: SearchCalls, prefix: string): Promise<void> {
  for (const idx of [nodesIndex(prefix), checkpointsIndex(prefix)]) {
    const res = await calls.call({ method: 'GET', path: `/${idx}/_settings` });
    if (res.status === 404) {
      throw new AuditError(
        'AUDIT_STORE_NOT_FOUND',
        `no audit trail with index prefix ${prefix} (${idx} does not exist; check sinks.audit.backend.indexPrefix)`,
        {
          retriable: false,
        },
      );
    }
    if (!ok(res.status)) calls.fail(res, `read ${idx}`);
  }
}

/** Write-blocks every records index of a month before the one `now` falls in. */
export async function blockClosedMonths(calls: SearchCalls, prefix: string, now: Date): Promise<void> {
  const current = recordsIndex(prefix, now);
  // provided_name is always set, so every index shows up (a filter on blocks.write alone omits unblocked ones).
  const res = await calls.must(
    { method: 'GET', path: `/${recordsPattern(prefix)}/_settings/index.provided_name,index.blocks.write`, querystring: { allow_no_indices: true } },
    'read index settings',
  );
  for (const [name, s] of Object.entries(res.body as Record<string, { settings?: { index?: { blocks?: { write?: string } } } }>)) {
    if (name >= current || s.settings?.index?.blocks?.write === 'true') continue;
    await calls.must({ method: 'PUT', path: `/${name}/_settings`, body: { 'index.blocks.write': true } }, `write-block ${name}`);
  }
}
