# frozen_string_literal: true

require "rack"
require "rack/lint"
require "rack/mock"
require "test_helper"

class RackTest < Minitest::Test
  include TestSupport

  DOWNSTREAM = ->(_env) { [200, { "content-type" => "text/plain" }, ["app"]] }
  CLOCK = -> { Time.at(TIMESTAMP + 60) }

  def setup
    @seen = []
  end

  def build(app = DOWNSTREAM, **options, &config)
    seen = @seen
    config ||= proc do
      on("video.asset.ready") { |event| seen << [:ready, event.id] }
      on("video.asset.created", "video.asset.deleted") { |event| seen << [:asset, event.type] }
      on_event { |event| seen << [:any, event.type] }
    end
    ::Rack::MockRequest.new(::Rack::Lint.new(Hookline::Rack.new(app, secret: SECRET, now: CLOCK, **options, &config)))
  end

  def post(request, payload = envelope, headers = signed(payload), path: "/webhooks")
    env = headers.to_h { |k, v| ["HTTP_#{k.upcase.tr('-', '_')}", v] }
    request.post(path, env.merge(input: payload, "CONTENT_TYPE" => "application/json"))
  end

  def error_of(response)
    JSON.parse(response.body).fetch("error")
  end

  def test_verified_delivery_runs_matching_handlers_in_order
    response = post(build)
    assert_equal 204, response.status
    assert_equal [[:ready, "evt_01JDQ3Z8M1V6Y2K9T4R7W0XABC"], [:any, "video.asset.ready"]], @seen
  end

  def test_per_type_handlers_only_for_their_types
    request = build
    post(request, envelope(type: "video.asset.deleted"))
    post(request, envelope(type: "video.live_stream.idle"))
    assert_equal [[:asset, "video.asset.deleted"], [:any, "video.asset.deleted"], [:any, "video.live_stream.idle"]], @seen
  end

  def test_an_event_without_handlers_is_still_acknowledged
    response = post(build { nil })
    assert_equal 204, response.status
  end

  def test_answers_only_after_the_handler_returns
    order = []
    request = build { on_event { |_| order << :handler } }
    response = post(request)
    order << :answered
    assert_equal 204, response.status
    assert_equal %i[handler answered], order
  end

  def test_bad_signature_is_a_400_with_the_reason
    response = post(build, envelope.sub("a1", "a2"), signed)
    assert_equal 400, response.status
    assert_equal "application/json", response.content_type
    assert_equal "invalid_signature", error_of(response)["code"]
    assert_empty @seen
  end

  def test_missing_header_and_stale_timestamp_are_400s
    response = post(build, envelope, signed.reject { |k, _| k == "webhook-id" })
    assert_equal [400, "missing_header"], [response.status, error_of(response)["code"]]
    response = post(build, envelope, signed(timestamp: TIMESTAMP - 600))
    assert_equal [400, "stale_timestamp"], [response.status, error_of(response)["code"]]
    assert_empty @seen
  end

  def test_handler_failure_is_a_500_and_reported
    reported = []
    request = build do
      on("video.asset.ready") { |_| raise "database down" }
      on_error { |error, event| reported << [error.message, event.id] }
    end
    response = post(request)
    assert_equal 500, response.status
    assert_equal "handler_failed", error_of(response)["code"]
    refute_includes response.body, "database down"
    assert_equal [["database down", "evt_01JDQ3Z8M1V6Y2K9T4R7W0XABC"]], reported
    assert_includes response.errors, "RuntimeError: database down"
  end

  def test_other_paths_go_to_the_app
    request = build
    assert_equal "app", request.get("/").body
    assert_equal "app", post(request, path: "/webhooks/other").body
    assert_empty @seen
  end

  def test_trailing_slash_and_custom_path
    assert_equal 204, post(build, path: "/webhooks/").status
    request = build(path: "/hooks/hookline")
    assert_equal 204, post(request, path: "/hooks/hookline").status
    assert_equal "app", post(request).body
  end

  def test_other_methods_on_the_webhook_path
    response = build.get("/webhooks")
    assert_equal 405, response.status
    assert_equal "POST", response.headers["allow"]
  end

  def test_as_an_endpoint_without_an_app
    request = build(nil)
    assert_equal 204, post(request, path: "/").status
    assert_equal 204, post(request, path: "").status
    scoped = build(nil, path: "/webhooks")
    assert_equal 404, scoped.get("/elsewhere").status
  end

  def test_configured_with_a_block_argument
    seen = @seen
    request = build { |hooks| hooks.on(Hookline::EventTypes::VIDEO_ASSET_READY) { |e| seen << e.video_asset_ready? } }
    post(request)
    assert_equal [true], seen
  end

  def test_use_in_a_rack_builder
    seen = @seen
    app = ::Rack::Builder.new do
      use Hookline::Rack, secret: SECRET, path: "/webhooks", now: CLOCK do
        on("video.asset.ready") { |event| seen << event.provider }
      end
      run DOWNSTREAM
    end
    request = ::Rack::MockRequest.new(::Rack::Lint.new(app))
    assert_equal 204, post(request).status
    assert_equal "app", request.get("/").body
    assert_equal ["mux"], seen
  end

  def test_clock_defaults_to_now
    request = ::Rack::MockRequest.new(Hookline::Rack.new(secret: SECRET) { nil })
    assert_equal 400, post(request).status
    assert_equal 204, post(request, envelope, signed(timestamp: Time.now)).status
  end

  def test_configuration_errors_fail_at_boot
    assert_raises(Hookline::WebhookVerificationError) { Hookline::Rack.new(secret: "whsec_!!") }
    assert_raises(ArgumentError) { Hookline::Rack.new(secret: SECRET) { on("x") } }
    assert_raises(ArgumentError) { Hookline::Rack.new(secret: SECRET) { on { nil } } }
  end
end
