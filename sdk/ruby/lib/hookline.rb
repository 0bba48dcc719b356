# frozen_string_literal: true

require_relative "hookline/version"
require_relative "hookline/errors"
require_relative "hookline/event_types"
require_relative "hookline/event"
require_relative "hookline/webhook"

# Receives Hookline's forwarded deliveries: Standard Webhooks verification and the
# normalized event, with nothing beyond Ruby's standard library.
module Hookline
  # Autoloaded so that apps which only call Hookline.verify never load the middleware.
  autoload :Rack, "hookline/rack"

  class << self
    # See Webhook#verify.
    def verify(payload, headers, secret, **options)
      Webhook.new(secret).verify(payload, headers, **options)
    end

    # See Webhook.sign.
    def sign(id:, timestamp:, payload:, secret:)
      Webhook.sign(id: id, timestamp: timestamp, payload: payload, secret: secret)
    end
  end
end
