# frozen_string_literal: true

require "test_helper"

class EventTest < Minitest::Test
  include TestSupport

  def event(type: "video.asset.ready")
    Hookline::Event.parse(envelope(type: type))
  end

  def test_envelope_readers
    e = event
    assert_equal "evt_01JDQ3Z8M1V6Y2K9T4R7W0XABC", e.id
    assert_equal "video.asset.ready", e.type
    assert_equal "mux", e.provider
    assert_equal "src_1", e.source_id
    assert_equal({ "type" => "asset", "id" => "0201p02fGKPE7MrbC269XRD7LpcHhrmbu0002" }, e.object)
    assert_equal({ "id" => "j0863n", "name" => "Demo pages" }, e.environment)
    assert_equal({ "id" => "3a56ac3d-33da-4366-855b-f592d898409d", "type" => "video.asset.ready" }, e.provider_event)
    assert_equal({ "id" => "a1", "passthrough" => "café" }, e.data)
  end

  def test_times
    e = event
    assert_equal Time.utc(2018, 2, 15, 1, 4, 45), e.occurred_at
    assert_equal Time.utc(2026, 11, 23, 10, 0, 0.123r), e.received_at
    assert_nil Hookline::Event.new("occurred_at" => nil).occurred_at
    assert_nil Hookline::Event.new("occurred_at" => "yesterday").occurred_at
    assert_equal "yesterday", Hookline::Event.new("occurred_at" => "yesterday")["occurred_at"]
  end

  def test_hash_access
    e = event
    assert_equal "mux", e["provider"]
    assert_equal "mux", e[:provider]
    assert_equal "café", e.dig(:data, "passthrough")
    assert_equal JSON.parse(envelope), e.to_h
    assert_equal JSON.parse(envelope), JSON.parse(e.to_json)
    assert_nil e["missing"]
  end

  def test_built_by_hand_with_symbol_keys
    e = Hookline::Event.new(type: "video.upload.created", data: { id: "u1" })
    assert_equal "video.upload.created", e.type
    assert e.video_upload_created?
    assert_equal({ id: "u1" }, e.data)
  end

  def test_equality
    assert_equal event, event
    refute_equal event, event(type: "video.asset.created")
    assert_equal 1, [event, event].uniq.size
    assert_match(/#<Hookline::Event evt_\w+ video.asset.ready>/, event.inspect)
  end

  def test_type_constants
    assert_equal "video.asset.ready", Hookline::EventTypes::VIDEO_ASSET_READY
    assert_equal "video.live_stream.simulcast_target.broadcasting",
                 Hookline::EventTypes::VIDEO_LIVE_STREAM_SIMULCAST_TARGET_BROADCASTING
    assert_predicate Hookline::EventTypes::ALL, :frozen?
    assert_includes Hookline::EventTypes::ALL, "video.upload.asset_created"
    assert_equal Hookline::EventTypes::ALL.uniq, Hookline::EventTypes::ALL
  end

  def test_a_predicate_per_type
    Hookline::EventTypes::ALL.each do |type|
      predicate = "#{type.tr('.', '_')}?"
      e = Hookline::Event.new("type" => type)
      assert e.public_send(predicate), predicate
      refute Hookline::Event.new("type" => "other.#{type}").public_send(predicate), predicate
    end
  end

  def test_unknown_types_are_events_too
    e = event(type: "video.media.something_new")
    assert_equal "video.media.something_new", e.type
    refute e.video_asset_ready?
  end
end
