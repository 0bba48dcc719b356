# frozen_string_literal: true

require "json"
# Loads the whole gem, so that `require "hookline/rack"` alone is enough.
require_relative "../hookline"

module Hookline
  # Rack middleware (or endpoint) that verifies Hookline deliveries and hands each event to
  # your handlers. It speaks the Rack protocol only, so it needs no gem at run time.
  #
  #   use Hookline::Rack, secret: ENV.fetch("HOOKLINE_SECRET"), path: "/webhooks" do
  #     on "video.asset.ready" do |event| ... end
  #     on_event { |event| ... }
  #   end
  #
  # Answers 204 once every matching handler has returned, 400 with
  # {"error":{"code":<reason>,"message":…}} when verification fails, and 500 when a handler
  # raises, so that the relay delivers the event again. Other paths go on to the app.
  class Rack
    JSON_TYPE = { "content-type" => "application/json" }.freeze

    # Without an app (mounted as an endpoint) `path` defaults to nil: every path is the webhook.
    def initialize(app = nil, secret:, path: app ? "/webhooks" : nil, tolerance: Webhook::TOLERANCE, now: nil, &config)
      @app = app
      @webhook = Webhook.new(secret)
      @path = path&.chomp("/")
      @tolerance = tolerance
      @now = now
      @handlers = []
      @error_handlers = []
      return unless config

      config.arity == 1 ? config.call(self) : instance_exec(&config)
    end

    # Runs the block for events of any of the given types.
    def on(*types, &handler)
      raise ArgumentError, "on needs at least one event type and a block" if types.empty? || handler.nil?

      @handlers << [types.map(&:to_s).freeze, handler]
      self
    end

    # Runs the block for every event. Handlers run in the order they were added.
    def on_event(&handler)
      raise ArgumentError, "on_event needs a block" if handler.nil?

      @handlers << [nil, handler]
      self
    end

    # Runs the block with (error, event) when a handler raises, before the 500 goes out:
    # the place to report to an error tracker, since the middleware keeps the error from
    # reaching outer middleware.
    def on_error(&handler)
      raise ArgumentError, "on_error needs a block" if handler.nil?

      @error_handlers << handler
      self
    end

    def call(env)
      return pass(env) unless webhook_path?(env)
      return respond(405, "method_not_allowed", "use POST", "allow" => "POST") unless env["REQUEST_METHOD"] == "POST"

      event = begin
        @webhook.verify(read_body(env), env, now: @now ? @now.call : Time.now, tolerance: @tolerance)
      rescue WebhookVerificationError => e
        return respond(400, e.reason.to_s, e.message)
      end
      dispatch(event, env)
    end

    private

    def dispatch(event, env)
      @handlers.each do |types, handler|
        handler.call(event) if types.nil? || types.include?(event.type)
      end
      [204, {}, []]
    rescue StandardError => e
      env["rack.errors"]&.puts("Hookline::Rack: handler for #{event.type} #{event.id} raised #{e.class}: #{e.message}")
      @error_handlers.each { |handler| handler.call(e, event) }
      # The error stays in the log: a delivery's response excerpt is visible in the relay.
      respond(500, "handler_failed", "the event handler failed")
    end

    def webhook_path?(env)
      @path.nil? || env["PATH_INFO"].to_s.chomp("/") == @path
    end

    def pass(env)
      return @app.call(env) if @app

      respond(404, "not_found", "not a webhook path")
    end

    def read_body(env)
      input = env["rack.input"]
      return +"" if input.nil?

      # Something earlier in the stack (Rails' params parsing) may have read it already.
      input.rewind if input.respond_to?(:rewind)
      input.read || +""
    end

    def respond(status, code, message, headers = {})
      [status, JSON_TYPE.merge(headers), [JSON.generate(error: { code: code, message: message })]]
    end
  end
end
