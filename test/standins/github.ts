import { INVALID_JSON, isObject, Standin, type RecordedRequest, type Reply } from './base.js';
import { operation, reasons } from './github-openapi.js';

/**
 * GitHub REST stand-in for the Issues endpoints. Every request is checked against the operation
 * in @octokit/openapi (JSON body against its requestBody schema, query against its parameters):
 * violations answer 422 "Invalid request." like GitHub. Auth is Bearer/token (401 "Bad
 * credentials"), a User-Agent is required (403), and issues, labels, comments and states are kept.
 */
export interface GitHubIssue {
  number: number;
  title: string;
  body: string | null;
  labels: string[];
  state: 'open' | 'closed';
  state_reason: string | null;
  comments: string[];
  pull_request?: { url: string };
}

const DOCS = 'https://docs.github.com/rest';
const ROUTES: { method: string; re: RegExp; template: string }[] = [
  { method: 'POST', re: /^\/repos\/([^/]+)\/([^/]+)\/issues$/, template: '/repos/{owner}/{repo}/issues' },
  { method: 'GET', re: /^\/repos\/([^/]+)\/([^/]+)\/issues$/, template: '/repos/{owner}/{repo}/issues' },
  { method: 'GET', re: /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)$/, template: '/repos/{owner}/{repo}/issues/{issue_number}' },
  { method: 'PATCH', re: /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)$/, template: '/repos/{owner}/{repo}/issues/{issue_number}' },
  { method: 'POST', re: /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/, template: '/repos/{owner}/{repo}/issues/{issue_number}/comments' },
];

export class GitHubStandin extends Standin {
  readonly issues = new Map<number, GitHubIssue>();
  readonly token = 'github_pat_11ABCDEFG0standinSecretToken_xyz0987654321';
  readonly owner = 'acme';
  readonly repo = 'supply-chain-alerts';
  /** Why the last request was rejected, for diagnostics. */
  lastInvalid = '';

  override reset(): void {
    super.reset();
    this.issues.clear();
  }
  /** Pull requests share the issue numbering and show up in the issues list. */
  addPullRequest(labels: string[]): number {
    const number = this.issues.size + 1;
    this.issues.set(number, { number, title: 'PR', body: '', labels, state: 'open', state_reason: null, comments: [], pull_request: { url: 'x' } });
    return number;
  }

  protected handle(req: RecordedRequest): Reply {
    const auth = req.headers.authorization ?? '';
    if (auth !== `Bearer ${this.token}` && auth !== `token ${this.token}`)
      return { status: 401, body: { message: 'Bad credentials', documentation_url: DOCS, status: '401' } };
    if (!req.headers['user-agent'])
      return {
        status: 403,
        body: { message: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header.', documentation_url: DOCS },
      };
    const version = req.headers['x-github-api-version'];
    if (version !== undefined && version !== '2022-11-28' && version !== '2026-03-10')
      return { status: 400, body: { message: `API version '${String(version)}' is not supported.`, documentation_url: DOCS } };
    const route = ROUTES.find((r) => r.method === req.method && r.re.test(req.path));
    if (!route) return notFound();
    const m = req.path.match(route.re)!;
    if (m[1] !== this.owner || m[2] !== this.repo) return notFound();
    const op = operation(req.method, route.template);
    const query = Object.fromEntries(req.query);
    if (!op.query(query)) return this.#invalid(reasons(op.query));
    if (op.body) {
      if (req.json === INVALID_JSON) return { status: 400, body: { message: 'Problems parsing JSON', documentation_url: DOCS } };
      if (!op.body(req.json)) return this.#invalid(reasons(op.body));
    }
    const body = (req.json ?? {}) as Record<string, unknown>;
    const number = m[3] ? Number(m[3]) : undefined;
    const issue = number === undefined ? undefined : this.issues.get(number);
    if (number !== undefined && !issue) return notFound();
    switch (op.operationId) {
      case 'issues/create': {
        const n = this.issues.size + 1;
        const created: GitHubIssue = {
          number: n,
          title: String(body.title),
          body: (body.body as string | undefined) ?? null,
          labels: labelNames(body.labels),
          state: 'open',
          state_reason: null,
          comments: [],
        };
        this.issues.set(n, created);
        return { status: 201, body: this.#view(created) };
      }
      case 'issues/list-for-repo': {
        const want = (query.labels ?? '').split(',').filter(Boolean);
        const state = query.state ?? 'open';
        let list = [...this.issues.values()].filter((i) => (state === 'all' || i.state === state) && want.every((l) => i.labels.includes(l)));
        if (query.direction === 'asc') list.sort((a, b) => a.number - b.number);
        else list.sort((a, b) => b.number - a.number);
        list = list.slice(0, Number(query.per_page ?? 30));
        return { status: 200, body: list.map((i) => this.#view(i)) };
      }
      case 'issues/get':
        return { status: 200, body: this.#view(issue!) };
      case 'issues/update':
        if (body.state === 'closed' || body.state === 'open') {
          if (body.state !== issue!.state)
            issue!.state_reason = (body.state_reason as string | null | undefined) ?? (body.state === 'closed' ? 'completed' : 'reopened');
          issue!.state = body.state;
        }
        if (typeof body.title === 'string') issue!.title = body.title;
        if (body.body !== undefined) issue!.body = body.body as string | null;
        if (body.labels !== undefined) issue!.labels = labelNames(body.labels);
        return { status: 200, body: this.#view(issue!) };
      case 'issues/create-comment':
        issue!.comments.push(String(body.body));
        return {
          status: 201,
          body: {
            id: 9000 + issue!.comments.length,
            body: body.body,
            html_url: `https://github.com/${this.owner}/${this.repo}/issues/${issue!.number}#issuecomment-${9000 + issue!.comments.length}`,
          },
        };
      default:
        return notFound();
    }
  }

  #invalid(why: string): Reply {
    this.lastInvalid = why;
    return { status: 422, body: { message: `Invalid request.\n\n${why}`, documentation_url: DOCS, status: '422' } };
  }

  #view(i: GitHubIssue): unknown {
    return {
      id: 100_000 + i.number,
      number: i.number,
      title: i.title,
      body: i.body,
      state: i.state,
      state_reason: i.state_reason,
      labels: i.labels.map((name, k) => ({ id: k + 1, name, color: 'ededed', default: false })),
      comments: i.comments.length,
      html_url: `https://github.com/${this.owner}/${this.repo}/issues/${i.number}`,
      url: `${this.server.url}/repos/${this.owner}/${this.repo}/issues/${i.number}`,
      ...(i.pull_request ? { pull_request: i.pull_request } : {}),
    };
  }
}

function labelNames(labels: unknown): string[] {
  return Array.isArray(labels) ? labels.map((l) => (isObject(l) ? String(l.name) : String(l))) : [];
}

function notFound(): Reply {
  return { status: 404, body: { message: 'Not Found', documentation_url: DOCS, status: '404' } };
}
