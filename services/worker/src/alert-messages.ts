/** A notification body as the outbox keeps it (CONTRACT §8). */
export interface AlertNotice {
  type: 'alert.opened' | 'alert.resolved';
  alert: {
    id: string;
    type: string;
    status: string;
    subject: { kind: string; id: string };
    opened_at: string;
    resolved_at: string | null;
    detail: Record<string, unknown>;
  };
}

const at = (value: unknown) => (typeof value === 'string' ? value : 'an unknown time');

/**
 * A notice in words, for the channels people read (Slack, email): a title and a few lines.
 * Operational webhooks get the JSON itself.
 */
export function describeNotice(notice: AlertNotice): { title: string; lines: string[] } {
  const { alert } = notice;
  const d = alert.detail;
  const subject = `${alert.subject.kind} ${alert.subject.id}${typeof d.url === 'string' ? ` (${d.url})` : ''}`;
  let title: string;
  let line: string;
  switch (alert.type) {
    case 'destination.failing':
      title = 'Destination failing';
      line = `${subject} has failed ${d.consecutive_failures ?? 'several'} times in a row since ${at(d.failing_since)}.`;
      break;
    case 'destination.disabled':
      title = 'Destination disabled';
      line = `${subject} was disabled at ${at(d.disabled_at)}. Its events are held; re-enable it to deliver them.`;
      break;
    case 'destination.recovered':
      title = 'Destination recovered';
      line = `${subject} is delivering again (in trouble since ${at(d.troubled_since)}).`;
      break;
    case 'source.rejecting':
      title = 'Source rejecting requests';
      line = `${subject}: ${d.rejected} requests failed signature verification within ${d.window_seconds} s. Was the provider's signing secret rotated?`;
      break;
    case 'source.silent':
      title = 'Source silent';
      line = `${subject} has received no events since ${at(d.last_event_at)}.`;
      break;
    case 'delivery.backlog':
      title = 'Delivery backlog';
      line = `${d.pending} deliveries are pending; the oldest since ${at(d.oldest_pending_at)}.`;
      break;
    default:
      title = alert.type;
      line = subject;
  }
  if (notice.type === 'alert.resolved' && alert.type !== 'destination.recovered') title = `Resolved: ${title}`;
  return { title, lines: [line, `Alert ${alert.id}, opened ${alert.opened_at}.`] };
}

/** Slack's incoming-webhook JSON (Mattermost, Rocket.Chat and others take the same). */
export function slackMessage(notice: AlertNotice): string {
  const { title, lines } = describeNotice(notice);
  const text = `*${title}*\n${lines.join('\n')}`;
  return JSON.stringify({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
}
