import type { EventTypeInfo } from '../types.ts';

const e = (type: string, objectType: string | null, description: string): EventTypeInfo => ({
  type,
  canonical: type,
  description,
  objectType,
});

/**
 * Common GitHub events, named as Hookline types them: the `X-GitHub-Event` header, then `.`
 * and the payload's `action` when it has one. Every other event is accepted the same way.
 */
export const GITHUB_EVENTS: readonly EventTypeInfo[] = [
  e('ping', 'hook', 'The webhook was created (GitHub checks the URL).'),
  e('push', 'commit', 'One or more commits were pushed to a branch or tag.'),
  e('create', 'ref', 'A branch or tag was created.'),
  e('delete', 'ref', 'A branch or tag was deleted.'),
  e('issues.opened', 'issue', 'An issue was opened.'),
  e('issues.closed', 'issue', 'An issue was closed.'),
  e('issues.edited', 'issue', 'An issue was edited.'),
  e('issue_comment.created', 'comment', 'A comment was added to an issue or pull request.'),
  e('pull_request.opened', 'pull_request', 'A pull request was opened.'),
  e('pull_request.closed', 'pull_request', 'A pull request was closed (merged or not).'),
  e('pull_request.synchronize', 'pull_request', "A pull request's head branch was updated."),
  e('release.published', 'release', 'A release was published.'),
  e('workflow_run.completed', 'workflow_run', 'A GitHub Actions workflow run completed.'),
  e('check_run.completed', 'check_run', 'A check run completed.'),
  e('star.created', 'repository', 'Someone starred the repository.'),
  e('fork', 'repository', 'Someone forked the repository.'),
];
