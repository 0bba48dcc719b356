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
  type AbortSignalLike,
  DEFAULT_API_URL,
  type ForwardReport,
  getListenSecret,
  ListenError,
  type ListenErrorCode,
  type ListenOptions,
  type ListenStatus,
  type ListenSummary,
  listen,
} from './listen.js';
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
