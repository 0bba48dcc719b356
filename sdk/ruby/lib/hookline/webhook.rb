# frozen_string_literal: true

require "base64"
require "openssl"
require "time"

module Hookline
  # Standard Webhooks (https://www.standardwebhooks.com) as Hookline sends them:
  # `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256>`
  # over "<id>.<timestamp>.<raw body>", keyed with the base64 part of a `whsec_` secret.
  class Webhook
    TOLERANCE = 300
    SECRET_PREFIX = "whsec_"
    HEADER_NAMES = %w[webhook-id webhook-timestamp webhook-signature].freeze

    # Headers that make `payload` verify with `secret` at `timestamp`, for testing your own
    # handlers. Several secrets give several signatures, as during a rotation.
    def self.sign(id:, timestamp:, payload:, secret:)
      seconds = timestamp.to_i
      signatures = Array(secret).map { |s| "v1,#{new(s).signature(id, seconds, payload)}" }
      {
        "webhook-id" => id.to_s,
        "webhook-timestamp" => seconds.to_s,
        "webhook-signature" => signatures.join(" "),
      }
    end

    def initialize(secret)
      @key = decode_secret(secret)
    end

    # Checks the headers and signature of one delivery and returns its Hookline::Event.
    # `payload` must be the raw body exactly as received: re-serialized JSON never matches.
    # `headers` may be any header hash (names in any case) or a Rack env (HTTP_WEBHOOK_ID).
    def verify(payload, headers, now: Time.now, tolerance: TOLERANCE)
      raise ArgumentError, "payload must be the raw request body as a String" unless payload.is_a?(String)

      id, timestamp, signatures = read_headers(headers)
      seconds = check_timestamp(timestamp, now.to_i, tolerance)
      expected = signature(id, seconds, payload)
      unless signatures.split(" ").any? { |s| matches?(s, expected) }
        fail!(:invalid_signature, "no webhook-signature matches the payload")
      end
      Event.parse(payload)
    end

    def signature(id, seconds, payload)
      hmac = OpenSSL::HMAC.new(@key, "SHA256")
      # Fed in pieces so that bodies in any String encoding are signed as their bytes.
      hmac.update("#{id}.#{seconds}.")
      hmac.update(payload)
      Base64.strict_encode64(hmac.digest)
    end

    private

    def decode_secret(secret)
      fail!(:invalid_secret, "secret must be a String") unless secret.is_a?(String)
      encoded = secret.delete_prefix(SECRET_PREFIX)
      fail!(:invalid_secret, "secret is empty") if encoded.empty?
      # Secrets are often stored with their base64 padding trimmed.
      Base64.strict_decode64(encoded + ("=" * (-encoded.length % 4)))
    rescue ArgumentError
      fail!(:invalid_secret, "secret is not #{SECRET_PREFIX} followed by base64")
    end

    def read_headers(headers)
      found = {}
      headers&.each do |name, value|
        key = name.to_s.downcase.delete_prefix("http_").tr("_", "-")
        next unless HEADER_NAMES.include?(key)

        value = value.join(" ") if value.is_a?(Array)
        found[key] = value.to_s.strip unless value.to_s.strip.empty?
      end
      missing = HEADER_NAMES - found.keys
      fail!(:missing_header, "missing header #{missing.join(', ')}") unless missing.empty?
      found.values_at(*HEADER_NAMES)
    end

    def check_timestamp(timestamp, now, tolerance)
      fail!(:invalid_timestamp, "webhook-timestamp is not unix seconds") unless timestamp.match?(/\A\d{1,15}\z/)
      seconds = Integer(timestamp, 10)
      fail!(:stale_timestamp, "webhook-timestamp is more than #{tolerance} s old") if now - seconds > tolerance
      fail!(:future_timestamp, "webhook-timestamp is more than #{tolerance} s in the future") if seconds - now > tolerance
      seconds
    end

    def matches?(candidate, expected)
      version, signature = candidate.split(",", 2)
      # The length check leaks nothing: every v1 signature is 44 characters.
      version == "v1" && !signature.nil? && signature.bytesize == expected.bytesize &&
        OpenSSL.fixed_length_secure_compare(signature, expected)
    end

    def fail!(reason, message)
      raise WebhookVerificationError.new(reason, message)
    end
  end
end
