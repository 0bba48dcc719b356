# frozen_string_literal: true

require "json"
require "time"

module Hookline
  # One normalized event, the body of every delivery (CONTRACT §3). Readers look the
  # attributes up on each call, so `to_h` and the readers never disagree.
  class Event
    include EventTypes::Predicates

    FIELDS = %w[id type provider source_id object environment provider_event data].freeze

    def self.parse(json)
      attributes = JSON.parse(json)
      raise JSON::ParserError, "not an object" unless attributes.is_a?(Hash)

      new(attributes)
    rescue JSON::ParserError => e
      raise WebhookVerificationError.new(:invalid_payload, "payload is not a JSON object: #{e.message}")
    end

    # Takes a parsed envelope; symbol keys are accepted so tests can build events by hand.
    def initialize(attributes)
      @attributes = attributes.transform_keys(&:to_s)
    end

    FIELDS.each do |field|
      define_method(field) { @attributes[field] }
    end

    def occurred_at
      time("occurred_at")
    end

    def received_at
      time("received_at")
    end

    def [](key)
      @attributes[key.to_s]
    end

    def dig(key, *rest)
      @attributes.dig(key.to_s, *rest)
    end

    def to_h
      @attributes
    end

    def to_json(*args)
      @attributes.to_json(*args)
    end

    def ==(other)
      other.is_a?(Event) && other.to_h == @attributes
    end
    alias eql? ==

    def hash
      @attributes.hash
    end

    def inspect
      "#<#{self.class.name} #{id} #{type}>"
    end

    private

    # A missing or malformed time is nil rather than an error: the event itself is still
    # valid, and the original string stays available through #[].
    def time(field)
      value = @attributes[field]
      Time.iso8601(value) if value.is_a?(String)
    rescue ArgumentError
      nil
    end
  end
end
