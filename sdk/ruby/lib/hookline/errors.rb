# frozen_string_literal: true

module Hookline
  class Error < StandardError; end

  # Raised by Hookline.verify. `reason` is a Symbol callers can branch on without parsing
  # the message: :missing_header, :invalid_timestamp, :stale_timestamp, :future_timestamp,
  # :invalid_signature, :invalid_secret or :invalid_payload.
  class WebhookVerificationError < Error
    attr_reader :reason

    def initialize(reason, message)
      @reason = reason
      super(message)
    end
  end
end
