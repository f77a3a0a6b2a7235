import { INVALID_JSON, isObject, Standin, type RecordedRequest, type Reply } from './base.js';
import { checkAdf } from './jira-adf.js';

/**
 * Jira Cloud REST v3 stand-in: Basic auth (email:api_token), POST /rest/api/3/issue with the
 * create-screen fields checked (project, issuetype, summary one line <= 255, description as an
 * ADF document, labels without spaces, priority by name, unknown fields rejected as Jira does),
 * POST /rest/api/3/search/jql with the JQL subset the sink uses, GET issue, comments (ADF) and a
 * To Do → In Progress → Done workflow. Errors are Jira's {errorMessages, errors}.
 */
export interface JiraIssue {
  id: string;
  key: string;
  fields: Record<string, unknown> & { summary: string; labels: string[]; description: unknown };
  status: 'To Do' | 'In Progress' | 'Done';
  comments: unknown[];
  created: number;
}

const STATUS_CATEGORY = { 'To Do': 'new', 'In Progress': 'indeterminate', Done: 'done' } as const;
const TRANSITIONS = [
  { id: '11', name: 'To Do', to: 'To Do' },
  { id: '21', name: 'In Progress', to: 'In Progress' },
  { id: '31', name: 'Done', to: 'Done' },
] as const;
const CREATE_FIELDS = new Set(['project', 'issuetype', 'summary', 'description', 'labels', 'priority']);

export class JiraStandin extends Standin {
  readonly issues = new Map<string, JiraIssue>();
  readonly email = 'chainwatch-bot@example.org';
  readonly apiToken = 'ATATT3xFfGF0jiraTokenSecret9876543210';
  readonly projectKey = 'SEC';
  readonly issueTypes = new Set(['Task', 'Bug']);
  readonly priorities = new Set(['Highest', 'High', 'Medium', 'Low', 'Lowest']);
  #seq = 0;

  override reset(): void {
    super.reset();
    this.issues.clear();
    this.#seq = 0;
  }

  protected handle(req: RecordedRequest): Reply {
    const expected = `Basic ${Buffer.from(`${this.email}:${this.apiToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected)
      return { status: 401, body: { errorMessages: ['Client must be authenticated to access this resource.'], errors: {} } };
    if (req.method !== 'GET' && (req.json === INVALID_JSON || !isObject(req.json))) return bad(['Unexpected character in request body.']);
    const body = req.json as Record<string, unknown>;
    let m: RegExpMatchArray | null;
    if (req.method === 'POST' && req.path === '/rest/api/3/issue') return this.#create(body);
    if (req.method === 'POST' && req.path === '/rest/api/3/search/jql') return this.#search(body);
    if ((m = req.path.match(/^\/rest\/api\/3\/issue\/([A-Z][A-Z0-9_]*-\d+)(\/comment|\/transitions)?$/))) {
      const issue = this.issues.get(m[1]!);
      if (!issue) return { status: 404, body: { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} } };
      if (!m[2] && req.method === 'GET') return { status: 200, body: this.#view(issue) };
      if (m[2] === '/comment' && req.method === 'POST') {
        const errs = checkAdf(body.body);
        if (errs.length) return bad([], { comment: 'Comment body is not valid Atlassian Document Format.' });
        issue.comments.push(body.body);
        return { status: 201, body: { id: String(10_000 + issue.comments.length), body: body.body } };
      }
      if (m[2] === '/transitions' && req.method === 'GET') {
        return {
          status: 200,
          body: {
            transitions: TRANSITIONS.filter((t) => t.to !== issue.status).map((t) => ({
              id: t.id,
              name: t.name,
              to: { name: t.to, statusCategory: { key: STATUS_CATEGORY[t.to] } },
            })),
          },
        };
      }
      if (m[2] === '/transitions' && req.method === 'POST') {
        const id = isObject(body.transition) ? body.transition.id : undefined;
        const t = TRANSITIONS.find((x) => x.id === id && x.to !== issue.status);
        if (!t) return bad([`Transition id '${String(id)}' is not valid for this issue.`]);
        issue.status = t.to;
        return { status: 204 };
      }
    }
    return { status: 404, body: { errorMessages: ['Not found'], errors: {} } };
  }

  #create(body: Record<string, unknown>): Reply {
    const f = body.fields;
    if (!isObject(f)) return bad(['fields is required']);
    const errors: Record<string, string> = {};
    for (const k of Object.keys(f)) if (!CREATE_FIELDS.has(k)) errors[k] = `Field '${k}' cannot be set. It is not on the appropriate screen, or unknown.`;
    if (!isObject(f.project) || f.project.key !== this.projectKey) errors.project = 'valid project is required';
    if (!isObject(f.issuetype) || !this.issueTypes.has(String(f.issuetype.name))) errors.issuetype = 'valid issue type is required';
    if (typeof f.summary !== 'string' || f.summary.trim() === '') errors.summary = 'You must specify a summary of the issue.';
    else if (f.summary.length > 255) errors.summary = 'Summary must be less than 255 characters.';
    else if (/[\r\n]/.test(f.summary)) errors.summary = 'The summary is invalid because it contains newline characters.';
    if (f.description !== undefined && checkAdf(f.description).length)
      errors.description = 'Operation value must be an Atlassian Document (see the Atlassian Document Format).';
    if (f.labels !== undefined && (!Array.isArray(f.labels) || f.labels.some((l) => typeof l !== 'string' || !/^\S{1,255}$/.test(l))))
      errors.labels = 'The label must not contain spaces and be at most 255 characters.';
    if (f.priority !== undefined && (!isObject(f.priority) || !this.priorities.has(String(f.priority.name))))
      errors.priority = `Specify a valid priority name.`;
    if (Object.keys(errors).length) return bad([], errors);
    const key = `${this.projectKey}-${++this.#seq}`;
    this.issues.set(key, {
      id: String(10_000 + this.#seq),
      key,
      fields: { ...f, labels: (f.labels as string[]) ?? [] } as JiraIssue['fields'],
      status: 'To Do',
      comments: [],
      created: this.#seq,
    });
    return { status: 201, body: { id: String(10_000 + this.#seq), key, self: `${this.server.url}/rest/api/3/issue/${10_000 + this.#seq}` } };
  }

  /** The JQL subset: project = "X" AND labels = "x" AND statusCategory != Done [ORDER BY created ASC|DESC]. */
  #search(body: Record<string, unknown>): Reply {
    if (typeof body.jql !== 'string') return bad(['jql is required']);
    const [where = '', order] = body.jql.split(/\s+ORDER BY\s+/i);
    if (order !== undefined && !/^created\s+(ASC|DESC)$/i.test(order.trim())) return bad([`Error in the JQL Query: unsupported ORDER BY '${order}'.`]);
    const preds: ((i: JiraIssue) => boolean)[] = [];
    for (const clause of where.split(/\s+AND\s+/i)) {
      const c = clause.trim().match(/^(project|labels|statusCategory)\s*(=|!=)\s*(?:"([^"]*)"|(\w+))$/);
      if (!c) return bad([`Error in the JQL Query: cannot parse '${clause}'.`]);
      const [, field, op, quoted, bare] = c;
      const value = quoted ?? bare!;
      const get = (i: JiraIssue): string[] =>
        field === 'project'
          ? [this.projectKey]
          : field === 'labels'
            ? i.fields.labels
            : [STATUS_CATEGORY[i.status] === 'done' ? 'Done' : STATUS_CATEGORY[i.status] === 'new' ? 'To Do' : 'In Progress'];
      preds.push((i) => get(i).some((v) => v.toLowerCase() === value.toLowerCase()) === (op === '='));
    }
    let found = [...this.issues.values()].filter((i) => preds.every((p) => p(i))).sort((a, b) => a.created - b.created);
    if (order && /DESC$/i.test(order.trim())) found = found.reverse();
    const max = typeof body.maxResults === 'number' ? body.maxResults : 50;
    return { status: 200, body: { issues: found.slice(0, max).map((i) => this.#view(i)), isLast: found.length <= max } };
  }

  #view(i: JiraIssue): unknown {
    return { id: i.id, key: i.key, fields: { ...i.fields, status: { name: i.status, statusCategory: { key: STATUS_CATEGORY[i.status] } } } };
  }
}

function bad(errorMessages: string[], errors: Record<string, string> = {}): Reply {
  return { status: 400, body: { errorMessages, errors } };
}
