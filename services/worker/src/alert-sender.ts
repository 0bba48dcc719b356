import { type SecretBox, signStandardWebhook } from '@hookline/core';
import { type ClaimedNotification, claimDueNotifications, type Db, markNotificationFailed, markNotificationSent } from '@hookline/db';
import type { FastifyBaseLogger } from 'fastify';
import { createTransport, type Transporter } from 'nodemailer';
import { type AlertNotice, describeNotice, slackMessage } from './alert-messages.ts';
import type { HttpAttempts } from './http-attempt.ts';

export interface AlertSenderDeps {
  db: Db;
  secrets: SecretBox;
  /** The delivery agent's HTTP client: SSRF-guarded, no redirects. Never the delivery pipeline itself. */
  http: HttpAttempts;
  log: FastifyBaseLogger;
  retryScheduleMs: readonly number[];
  /** One send's limit; a channel that hangs holds up only its own notifications. */
  timeoutMs: number;
  smtp?: { url: string; from: string } | undefined;
}

/** Sends in flight at once per process. */
const IN_FLIGHT = 50;
const USER_AGENT = 'Hookline-Alerts/0.1';

/**
 * Sends the alert outbox: leases what is due, sends each notification on its own (each with
 * a timeout, none waiting on another: the next pass starts while a slow one is in flight),
 * and records each outcome on its own row, so a failing or hanging channel is retried on its
 * schedule while the others are sent.
 */
export class AlertSender {
  readonly #deps: AlertSenderDeps;
  readonly #mail: Transporter | undefined;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(deps: AlertSenderDeps) {
    this.#deps = deps;
    this.#mail = deps.smtp
      ? createTransport({ url: deps.smtp.url, connectionTimeout: deps.timeoutMs, socketTimeout: deps.timeoutMs } as never)
      : undefined;
  }

  /** Starts sending what is due now (as many as there are free slots); returns how many it started. */
  async sendDue(): Promise<number> {
    const free = IN_FLIGHT - this.#inFlight.size;
    if (free <= 0) return 0;
    // The lease outlasts a send's timeout, so a notification is never sent twice at once.
    const due = await claimDueNotifications(this.#deps.db, free, this.#deps.timeoutMs * 2 + 5_000);
    for (const notification of due) {
      const sending: Promise<void> = this.#sendOne(notification)
        .catch((err) => this.#deps.log.error({ err, notificationId: notification.id }, 'alert notification outcome not recorded'))
        .finally(() => this.#inFlight.delete(sending));
      this.#inFlight.add(sending);
    }
    return due.length;
  }

  async #sendOne(notification: ClaimedNotification): Promise<void> {
    let error: string | null;
    try {
      error = await this.#send(notification);
    } catch (err) {
      error = (err as Error).message;
    }
    if (error === null) {
      await markNotificationSent(this.#deps.db, notification.id);
      return;
    }
    const wait = this.#deps.retryScheduleMs[notification.attempts - 1];
    const retryAt = wait === undefined ? null : new Date(Date.now() + wait);
    await markNotificationFailed(this.#deps.db, notification.id, error.slice(0, 500), retryAt);
    this.#deps.log.warn(
      { notificationId: notification.id, channelId: notification.channel_id, attempt: notification.attempts, err: error },
      retryAt ? 'alert notification failed; will retry' : 'alert notification failed; retry schedule spent',
    );
  }

  /** One send; null when it went through, else why not. */
  async #send(n: ClaimedNotification): Promise<string | null> {
    const notice = JSON.parse(n.body) as AlertNotice;
    switch (n.channel_type) {
      case 'webhook': {
        const secret = this.#deps.secrets.open(n.secret_sealed as string);
        const timestamp = Math.floor(Date.now() / 1000);
        return this.#post(n.target, n.body, {
          'webhook-id': n.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signStandardWebhook([secret], n.id, timestamp, n.body),
        });
      }
      case 'slack':
        return this.#post(this.#deps.secrets.open(n.secret_sealed as string), slackMessage(notice), {});
      case 'email': {
        if (!this.#mail || !this.#deps.smtp) return 'no SMTP server is configured (HOOKLINE_SMTP_URL)';
        const { title, lines } = describeNotice(notice);
        await this.#mail.sendMail({
          from: this.#deps.smtp.from,
          to: n.target,
          subject: `[Hookline] ${title}`,
          text: `${lines.join('\n')}\n\n${JSON.stringify(notice, null, 2)}\n`,
        });
        return null;
      }
    }
  }

  async #post(url: string, body: string, headers: Record<string, string>): Promise<string | null> {
    const result = await this.#deps.http.send({
      url,
      body,
      timeoutMs: this.#deps.timeoutMs,
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...headers },
    });
    if (result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300) return null;
    return result.error ?? `HTTP ${result.statusCode}`;
  }

  /** Waits for the sends in flight (their leases would otherwise send them again after a restart). */
  async close(): Promise<void> {
    await Promise.all(this.#inFlight);
    this.#mail?.close();
  }
}
