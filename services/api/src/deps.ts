import type { SecretBox } from '@hookline/core';
import type { Db } from '@hookline/db';
import type { DeliveryQueue } from '@hookline/queue';

/** What the API routes need from the process that hosts them. */
export interface ApiDeps {
  db: Db;
  queue: DeliveryQueue;
  secrets: SecretBox;
  publicUrl: string;
  allowPrivateDestinations: boolean;
}
