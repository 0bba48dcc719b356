import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isId, newId, newSigningSecret } from '@hookline/core';
import {
  type AlertChannel,
  acknowledgeAlert,
  alertJson,
  deleteAlertChannel,
  getTenantAlertSettings,
  insertAlertChannel,
  listAlertChannels,
  listAlerts,
  setTenantSilentAfter,
} from '@hookline/db';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../deps.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import { ErrorBody, IdParams, ListOf, ListQuery, Nullable, Timestamp } from '../schemas.ts';
import { checkDestinationUrl } from './destinations.ts';

const ChannelType = Type.Union([Type.Literal('webhook'), Type.Literal('slack'), Type.Literal('email')]);

const ChannelSchema = Type.Object({
  id: Type.String(),
  type: ChannelType,
  url: Nullable(Type.String({ description: 'Webhook: the URL; Slack: the URL cut short (it is a secret, kept sealed)' })),
  email: Nullable(Type.String()),
  created_at: Timestamp,
});

const CreateChannel = Type.Object(
  {
    type: ChannelType,
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'webhook and slack' })),
    email: Type.Optional(Type.String({ minLength: 3, maxLength: 254, description: 'email' })),
  },
  { additionalProperties: false },
);

const AlertStatus = Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('resolved')]);

export const AlertSchema = Type.Object({
  id: Type.String(),
  type: Type.String({
    description: 'destination.failing, destination.disabled, destination.recovered, source.rejecting, source.silent or delivery.backlog',
  }),
  status: AlertStatus,
  subject: Type.Object({ kind: Type.String({ description: 'destination, source or tenant' }), id: Type.String() }),
  opened_at: Timestamp,
  acknowledged_at: Nullable(Timestamp),
  resolved_at: Nullable(Timestamp),
  detail: Type.Record(Type.String(), Type.Unknown()),
});

const AlertSettings = Type.Object({
  source_silent_after_seconds: Nullable(
    Type.Integer({
      minimum: 0,
      maximum: 365 * 86400,
      description: "source.silent: the tenant's default period without events (0: off; null: the instance's default)",
    }),
  ),
});

/** A tenant has a handful of channels; more is a mistake or abuse (every alert goes to each). */
const MAX_CHANNELS = 20;
const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/** A Slack incoming-webhook URL carries its token in the path: show only where it goes. */
function shortSlackUrl(url: string): string {
  const { origin, pathname } = new URL(url);
  return `${origin}${pathname.split('/').slice(0, 2).join('/')}/…`;
}

function channelView(channel: AlertChannel) {
  return {
    id: channel.id,
    type: channel.type,
    url: channel.type === 'email' ? null : channel.target,
    email: channel.type === 'email' ? channel.target : null,
    created_at: channel.created_at.toISOString(),
  };
}

/** Alert channels, alerts and the tenant's alert settings (CONTRACT §8). */
export const alertRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, deps) => {
  app.post(
    '/v1/alert-channels',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Add a channel alerts are sent to (a webhook channel answers its signing secret, shown only here)',
        body: CreateChannel,
        response: {
          201: Type.Intersect([ChannelSchema, Type.Object({ signing_secret: Type.Optional(Type.String()) })]),
          400: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { type, url, email } = request.body;
      if (type === 'email' ? url !== undefined || email === undefined : email !== undefined || url === undefined) {
        throw badRequest(type === 'email' ? 'an email channel takes email, not url' : `a ${type} channel takes url, not email`);
      }
      const existing = await listAlertChannels(deps.db, request.tenantId);
      if (existing.length >= MAX_CHANNELS)
        throw new ApiError(400, 'too_many_channels', `a tenant has at most ${MAX_CHANNELS} alert channels`);
      let target: string;
      let sealed: string | null = null;
      let secret: string | undefined;
      if (type === 'email') {
        if (!deps.emailAlerts) {
          throw new ApiError(400, 'email_unavailable', 'this instance sends no email: its operator has not set HOOKLINE_SMTP_URL');
        }
        if (!EMAIL.test(email as string)) throw badRequest('email is not an email address');
        target = email as string;
      } else {
        // Channels obey the destinations' SSRF rules (names are checked again when they resolve).
        const checked = checkDestinationUrl(url as string, deps.allowPrivateDestinations);
        if (type === 'webhook') {
          secret = newSigningSecret();
          sealed = deps.secrets.seal(secret);
          target = checked;
        } else {
          sealed = deps.secrets.seal(checked);
          target = shortSlackUrl(checked);
        }
      }
      const channel = await insertAlertChannel(deps.db, {
        id: newId('alertChannel'),
        tenant_id: request.tenantId,
        type,
        target,
        secret_sealed: sealed,
      });
      return reply.code(201).send({ ...channelView(channel), ...(secret ? { signing_secret: secret } : {}) });
    },
  );

  app.get(
    '/v1/alert-channels',
    {
      schema: {
        tags: ['alerts'],
        summary: 'List alert channels',
        response: { 200: Type.Object({ data: Type.Array(ChannelSchema), next_cursor: Type.Null() }) },
      },
    },
    async (request) => ({ data: (await listAlertChannels(deps.db, request.tenantId)).map(channelView), next_cursor: null }),
  );

  app.delete(
    '/v1/alert-channels/:id',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Remove an alert channel (with whatever it still had to send)',
        params: IdParams,
        response: { 204: Type.Null(), 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!isId('alertChannel', id) || !(await deleteAlertChannel(deps.db, request.tenantId, id))) throw notFound('alert channel');
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/alerts',
    {
      schema: {
        tags: ['alerts'],
        summary: 'List alerts, newest first',
        querystring: Type.Object({ ...ListQuery, status: Type.Optional(AlertStatus) }),
        response: { 200: ListOf(AlertSchema) },
      },
    },
    async (request) => {
      const { limit = 20, cursor, status } = request.query;
      const page = await listAlerts(deps.db, request.tenantId, { limit, cursor, status });
      return { data: page.data.map(alertJson), next_cursor: page.next_cursor };
    },
  );

  app.post(
    '/v1/alerts/:id/acknowledge',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Acknowledge an open alert (it still resolves by itself when its condition clears)',
        params: IdParams,
        response: { 200: AlertSchema, 404: ErrorBody },
      },
    },
    async (request) => {
      const { id } = request.params;
      const alert = isId('alert', id) ? await acknowledgeAlert(deps.db, request.tenantId, id) : undefined;
      if (!alert) throw notFound('alert');
      return alertJson(alert);
    },
  );

  app.get(
    '/v1/alert-settings',
    { schema: { tags: ['alerts'], summary: "The tenant's alert settings", response: { 200: AlertSettings } } },
    async (request) => {
      const settings = await getTenantAlertSettings(deps.db, request.tenantId);
      return { source_silent_after_seconds: settings?.alert_silent_after_seconds ?? null };
    },
  );

  app.patch(
    '/v1/alert-settings',
    {
      schema: {
        tags: ['alerts'],
        summary: "Change the tenant's alert settings",
        body: Type.Partial(AlertSettings, { additionalProperties: false }),
        response: { 200: AlertSettings },
      },
    },
    async (request) => {
      const { source_silent_after_seconds } = request.body;
      if (source_silent_after_seconds !== undefined) await setTenantSilentAfter(deps.db, request.tenantId, source_silent_after_seconds);
      const settings = await getTenantAlertSettings(deps.db, request.tenantId);
      return { source_silent_after_seconds: settings?.alert_silent_after_seconds ?? null };
    },
  );
};
