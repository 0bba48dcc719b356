// `listen` (CONTRACT §6: stream a source's events to a local URL) is not exported yet: it
// needs Hookline's event streaming API (`GET /v1/stream`), which does not exist in this
// version. It is left out rather than stubbed, so code that imports it fails to compile
// instead of failing at run time.

export { WebhookVerificationError, type WebhookVerificationReason } from './errors.js';
export { EVENT_TYPES, type EventOfType, type GenericHooklineEvent, type HooklineEvent, type HooklineEventType } from './events.js';
export {
  createHandler,
  type DeliveryInfo,
  type EventHandler,
  type EventHandlers,
  type HandlerOptions,
  type HandlerRequest,
  type HandlerResponse,
  type HooklineHandler,
} from './handler.js';
export {
  DEFAULT_TOLERANCE_SECONDS,
  type HeaderRecord,
  type HeadersInput,
  type HeadersLike,
  type RawBody,
  type SignedHeaders,
  type SignOptions,
  sign,
  type VerifyOptions,
  verify,
} from './verify.js';
export { VERSION } from './version.js';
