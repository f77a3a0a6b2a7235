import { randomBytes } from 'node:crypto';
import { INVALID_JSON, isObject, Standin, type RecordedRequest, type Reply } from './base.js';

/**
 * ServiceNow Table API stand-in for /api/now/table/incident: Basic or Bearer auth; POST creates
 * (201 {result}), GET lists with sysparm_query/sysparm_fields/sysparm_limit or reads one by
 * sys_id, PATCH updates and journals work_notes. Field checks follow the incident dictionary
 * (urgency/impact choices 1..3, short_description 160, description/work_notes 4000,
 * correlation_id 100, state choices) and the resolution data policy (state 6 needs close_code and
 * close_notes: 403 "Data Policy Exception"). Deliberately stricter than a real instance, which
 * silently ignores unknown fields and invalid query terms (an invalid term there returns ALL
 * rows, which would hide a broken idempotency query): here both answer 400.
 */
export interface Incident {
  sys_id: string;
  number: string;
  fields: Record<string, string>;
  workNotes: string[];
  created: number;
}

const WRITABLE = new Set([
  'short_description',
  'description',
  'urgency',
  'impact',
  'category',
  'subcategory',
  'assignment_group',
  'caller_id',
  'correlation_id',
  'correlation_display',
  'contact_type',
  'work_notes',
  'comments',
  'state',
  'close_code',
  'close_notes',
]);
const QUERYABLE = new Set(['sys_id', 'number', 'correlation_id', 'active', 'state', 'category', 'sys_created_on', 'priority']);
const MAX: Record<string, number> = {
  short_description: 160,
  description: 4000,
  work_notes: 4000,
  close_notes: 4000,
  correlation_id: 100,
  correlation_display: 100,
};
const CHOICES: Record<string, string[]> = {
  urgency: ['1', '2', '3'],
  impact: ['1', '2', '3'],
  state: ['1', '2', '3', '6', '7', '8'],
  category: ['inquiry', 'software', 'hardware', 'network', 'database', 'security'],
  close_code: [
    'Duplicate',
    'Known error',
    'No resolution provided',
    'Resolved by caller',
    'Resolved by change',
    'Resolved by problem',
    'Resolved by request',
    'Solution provided',
    'Workaround provided',
    'User error',
  ],
};
const PRIORITY: Record<string, string> = { '11': '1', '12': '2', '21': '2', '13': '3', '22': '3', '31': '3', '23': '4', '32': '4', '33': '5' };

export class ServiceNowStandin extends Standin {
  readonly incidents = new Map<string, Incident>();
  readonly username = 'chainwatch.integration';
  readonly password = 'Sn0wP@ss-standin-secret-42';
  readonly bearerToken = 'snow_oauth_standin_bearer_secret_7f3a9c';
  #seq = 0;

  override reset(): void {
    super.reset();
    this.incidents.clear();
    this.#seq = 0;
  }
  byNumber(n: string): Incident | undefined {
    return [...this.incidents.values()].find((i) => i.number === n);
  }

  protected handle(req: RecordedRequest): Reply {
    const basic = `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
    if (req.headers.authorization !== basic && req.headers.authorization !== `Bearer ${this.bearerToken}`)
      return fail(401, 'User Not Authenticated', 'Required to provide Auth information');
    const m = req.path.match(/^\/api\/now\/table\/([a-z0-9_]+)(?:\/([0-9a-f]{32}))?$/);
    if (!m) return fail(400, 'Requested URI does not represent any resource', '');
    if (m[1] !== 'incident') return fail(400, `Invalid table ${m[1]}`, '');
    if (req.method !== 'GET' && (req.json === INVALID_JSON || !isObject(req.json)))
      return fail(400, 'Exception while reading request', 'The payload is not valid JSON.');
    const body = req.json as Record<string, unknown>;
    const fields = req.query.get('sysparm_fields')?.split(',');
    if (!m[2]) {
      if (req.method === 'POST') return this.#create(body);
      if (req.method === 'GET') return this.#list(req.query.get('sysparm_query') ?? '', Number(req.query.get('sysparm_limit') ?? 10_000), fields);
      return fail(405, 'Method not Supported', '');
    }
    const inc = this.incidents.get(m[2]);
    if (!inc) return fail(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");
    if (req.method === 'GET') return { status: 200, body: { result: view(inc, fields) } };
    if (req.method === 'PATCH' || req.method === 'PUT') return this.#update(inc, body);
    return fail(405, 'Method not Supported', '');
  }

  #create(body: Record<string, unknown>): Reply {
    const errs = checkFields(body);
    if (typeof body.short_description !== 'string' || !body.short_description) errs.push('short_description is mandatory');
    if (errs.length) return fail(400, 'Invalid field values', errs.join('; '));
    const sys_id = randomBytes(16).toString('hex');
    const { work_notes, ...rest } = body as Record<string, string>;
    const number = `INC${String(10_000 + ++this.#seq).padStart(7, '0')}`;
    const f: Record<string, string> = { urgency: '3', impact: '3', ...rest, state: '1', active: 'true', sys_id, number, sys_created_on: String(this.#seq) };
    f.priority = PRIORITY[`${f.impact}${f.urgency}`]!;
    const inc: Incident = { sys_id, number, fields: f, workNotes: work_notes ? [work_notes] : [], created: this.#seq };
    this.incidents.set(sys_id, inc);
    return { status: 201, body: { result: view(inc) } };
  }

  #update(inc: Incident, body: Record<string, unknown>): Reply {
    const errs = checkFields(body);
    if (errs.length) return fail(400, 'Invalid field values', errs.join('; '));
    const next = { ...inc.fields, ...(body as Record<string, string>) };
    delete next.work_notes;
    if (next.state === '6' && (!next.close_code || !next.close_notes)) {
      return fail(403, 'Operation Failed', 'Data Policy Exception: \n\tThe following fields are mandatory: Resolution code, Resolution notes\n');
    }
    if (next.state === '7' || next.state === '8') next.active = 'false';
    next.priority = PRIORITY[`${next.impact}${next.urgency}`]!;
    inc.fields = next;
    if (typeof body.work_notes === 'string' && body.work_notes) inc.workNotes.push(body.work_notes);
    return { status: 200, body: { result: view(inc) } };
  }

  /** Encoded query subset: field=value, fieldNOT INa,b, ORDERBY[DESC]field, joined by ^. */
  #list(query: string, limit: number, fields: string[] | undefined): Reply {
    const preds: ((i: Incident) => boolean)[] = [];
    let order: { field: string; desc: boolean } | undefined;
    for (const term of query.split('^').filter(Boolean)) {
      let t: RegExpMatchArray | null;
      if ((t = term.match(/^ORDERBY(DESC)?(\w+)$/))) order = { field: t[2]!, desc: !!t[1] };
      else if ((t = term.match(/^(\w+)NOT IN(.*)$/)) && QUERYABLE.has(t[1]!)) {
        const [, f, vals] = t;
        preds.push((i) => !vals!.split(',').includes(i.fields[f!] ?? ''));
      } else if ((t = term.match(/^(\w+)=(.*)$/)) && QUERYABLE.has(t[1]!)) {
        const [, f, v] = t;
        preds.push((i) => (i.fields[f!] ?? '') === v);
      } else return fail(400, 'Invalid query', `Unsupported or unknown term: ${term}`);
    }
    let rows = [...this.incidents.values()].filter((i) => preds.every((p) => p(i)));
    if (order) rows.sort((a, b) => (order.desc ? -1 : 1) * (a.created - b.created));
    rows = rows.slice(0, limit);
    return { status: 200, body: { result: rows.map((r) => view(r, fields)) } };
  }
}

function checkFields(body: Record<string, unknown>): string[] {
  const errs: string[] = [];
  for (const [k, v] of Object.entries(body)) {
    if (!WRITABLE.has(k)) errs.push(`${k} is not a writable incident field`);
    else if (typeof v !== 'string') errs.push(`${k} must be a string`);
    else if (MAX[k] !== undefined && v.length > MAX[k]) errs.push(`${k} longer than ${MAX[k]}`);
    else if (CHOICES[k] && !CHOICES[k].includes(v)) errs.push(`${k}: '${v}' is not a valid choice`);
  }
  return errs;
}

function view(i: Incident, fields?: string[]): Record<string, string> {
  const all: Record<string, string> = { ...i.fields, work_notes: '' };
  return fields ? Object.fromEntries(fields.map((f) => [f, all[f] ?? ''])) : all;
}

function fail(status: number, message: string, detail: string): Reply {
  return { status, body: { error: { message, detail }, status: 'failure' } };
}
