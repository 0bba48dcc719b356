import { GITHUB_EVENTS } from './catalogue/github.ts';
import { asInstant, asRecord, asString, bodyJson } from './fields.ts';
import { bodyDigest } from './hmac.ts';
import { type HmacScheme, verifyHmac } from './hmac-scheme.ts';
import type { EnvironmentRef, ObjectRef, Provider } from './types.ts';

/** `X-Hub-Signature-256: sha256=<hex>`: HMAC-SHA256 of the raw body keyed with the webhook secret's text. */
export const GITHUB_SCHEME: HmacScheme = {
  header: 'x-hub-signature-256',
  format: { kind: 'single', prefix: 'sha256=' },
  algorithm: 'sha256',
  encoding: 'hex',
  secretEncoding: 'utf8',
  template: '{body}',
};

/** Which payload member an event is about, and its object type, where the event name alone does not say. */
const SUBJECTS: Record<string, { member: string; type: string }> = {
  issues: { member: 'issue', type: 'issue' },
  issue_comment: { member: 'comment', type: 'comment' },
  commit_comment: { member: 'comment', type: 'comment' },
  discussion_comment: { member: 'comment', type: 'comment' },
  pull_request_review: { member: 'review', type: 'review' },
  pull_request_review_comment: { member: 'comment', type: 'comment' },
  star: { member: 'repository', type: 'repository' },
  watch: { member: 'repository', type: 'repository' },
  fork: { member: 'repository', type: 'repository' },
  public: { member: 'repository', type: 'repository' },
};

function githubObject(event: string, parsed: Record<string, unknown>): { ref: ObjectRef | null; record: Record<string, unknown> | null } {
  if (event === 'push') return { ref: { type: 'commit', id: asString(parsed.after) }, record: null };
  if (event === 'create' || event === 'delete') return { ref: { type: 'ref', id: asString(parsed.ref) }, record: null };
  if (event === 'ping') return { ref: { type: 'hook', id: asString(parsed.hook_id) }, record: null };
  const subject = SUBJECTS[event] ?? { member: event, type: event };
  const record = asRecord(parsed[subject.member]);
  return { ref: record ? { type: subject.type, id: asString(record.id) } : null, record };
}

function githubEnvironment(parsed: Record<string, unknown>): EnvironmentRef | null {
  const repository = asRecord(parsed.repository);
  if (repository) return { id: asString(repository.id), name: asString(repository.full_name) };
  const organization = asRecord(parsed.organization);
  if (organization) return { id: asString(organization.id), name: asString(organization.login) };
  return null;
}

export const github: Provider = {
  id: 'github',
  displayName: 'GitHub',
  secretHelp:
    'The "Secret" you typed when adding the webhook (repository or organization Settings → Webhooks); GitHub never shows it again, so set a new one there if it is lost.',
  setupSteps: [
    'In the repository or organization, open Settings → Webhooks → Add webhook.',
    'Paste the ingest URL as the Payload URL and set the content type to application/json.',
    'Type a secret of your choosing into the Secret field (GitHub never shows it again) and paste the same secret into this source.',
    'Choose the events to send, then click "Add webhook".',
  ],
  events: GITHUB_EVENTS,
  verify: (request) => verifyHmac(GITHUB_SCHEME, request),
  normalize(parsed, _members, headers, body) {
    const event = headers['x-github-event'] ?? 'unknown';
    const action = asString(parsed.action);
    const { ref, record } = githubObject(event, parsed);
    // GitHub sends no event time; a push's pushed_at, else the subject's last update, is the closest.
    const occurredAt = event === 'push' ? asInstant(asRecord(parsed.repository)?.pushed_at) : asInstant(record?.updated_at);
    return {
      type: action ? `${event}.${action}` : event,
      providerEventId: headers['x-github-delivery'] ?? bodyDigest(body),
      providerEventType: event,
      occurredAt,
      object: ref,
      environment: githubEnvironment(parsed),
      dataJson: bodyJson(body),
    };
  },
};
