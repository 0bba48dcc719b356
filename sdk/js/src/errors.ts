/**
 * Why a delivery failed verification, for code to branch on (the message is for people):
 *
 * - `missing_header`: `webhook-id`, `webhook-timestamp` or `webhook-signature` is absent (see `header`)
 * - `invalid_header`: a header is present but malformed, e.g. a timestamp that is not unix seconds
 * - `timestamp_too_old` / `timestamp_too_new`: outside the tolerance (5 minutes by default) either way
 * - `bad_signature`: no `v1` signature in `webhook-signature` matches the body and secret
 * - `invalid_payload`: the signature matched but the body is not a JSON object
 */
export type WebhookVerificationReason =
  | 'missing_header'
  | 'invalid_header'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'bad_signature'
  | 'invalid_payload';

const BRAND = Symbol.for('@hookline/sdk.WebhookVerificationError');

export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  readonly reason: WebhookVerificationReason;
  /** The header at fault, for `missing_header` and `invalid_header`. */
  readonly header: string | undefined;

  constructor(reason: WebhookVerificationReason, message: string, options: { header?: string } = {}) {
    super(message);
    this.reason = reason;
    this.header = options.header;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * The package ships ESM and CommonJS copies; an app that loads both (its own ESM code plus a
   * CommonJS dependency) gets two classes. Matching on a registry symbol keeps `instanceof`
   * true across them.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}
