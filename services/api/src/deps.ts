import type { SecretBox } from '@hookline/core';
import type { Db } from '@hookline/db';
import type { DeliveryQueue, Notifier } from '@hookline/queue';
import type { TransformRunner } from '@hookline/rules';
import type { Redis } from 'ioredis';

/** What the API routes need from the process that hosts them. */
export interface ApiDeps {
  db: Db;
  queue: DeliveryQueue;
  /** Wakes live streams when a tenant's stream has new entries. */
  notifier: Notifier;
  secrets: SecretBox;
  publicUrl: string;
  allowPrivateDestinations: boolean;
  /** Email alert channels need an SMTP server (HOOKLINE_SMTP_URL); unset: none. */
  emailAlerts?: boolean;
  /** HOOKLINE_SIGNUP: `closed` refuses signups that carry no invite. Unset: open. */
  signup?: 'open' | 'closed';
  /** Live stream heartbeat and poll intervals. */
  stream?: { heartbeatMs: number; pollMs: number };
  rateLimit: { perMinute: number; redis?: Redis | undefined; nameSpace: string };
  /** Bytes each tenant may store (GET /v1/usage); 0 or unset: no budget. */
  storageBudgetBytes?: number;
  /** Checks transforms on write and runs them for POST /v1/rules/try. */
  transforms: TransformRunner;
}
