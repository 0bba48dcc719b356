# frozen_string_literal: true

require "stringio"
require "test_helper"

class WebhookTest < Minitest::Test
  include TestSupport

  def verify(payload, headers, secret = SECRET, now: TIMESTAMP + 60)
    Hookline.verify(payload, headers, secret, now: now)
  end

  def assert_rejected(reason, &block)
    error = assert_raises(Hookline::WebhookVerificationError, &block)
    assert_equal reason, error.reason, error.message
    error
  end

  def test_shared_vectors
    offset = vectors.fetch("verify_at_unix_offset_s")
    assert_operator vectors["vectors"].size, :>=, 5
    vectors["vectors"].each do |v|
      headers = { "webhook-id" => v["id"], "webhook-timestamp" => v["timestamp"].to_s, "webhook-signature" => v["signature"] }
      now = Time.at(v["timestamp"] + offset)
      if v["valid"]
        event = verify(v["body"], headers, v["secret"], now: now)
        assert_equal JSON.parse(v["body"]), event.to_h, v["name"]
      else
        assert_rejected(:invalid_signature) { verify(v["body"], headers, v["secret"], now: now) }
      end
    end
  end

  def test_sign_reproduces_the_shared_vectors
    vectors["vectors"].select { |v| v["valid"] && !v["signature"].include?(" ") }.each do |v|
      headers = Hookline.sign(id: v["id"], timestamp: v["timestamp"], payload: v["body"], secret: v["secret"])
      assert_equal v["signature"], headers["webhook-signature"], v["name"]
      assert_equal v["timestamp"].to_s, headers["webhook-timestamp"]
    end
  end

  def test_returns_the_event
    event = verify(envelope, signed)
    assert_instance_of Hookline::Event, event
    assert_equal "video.asset.ready", event.type
    assert_equal "café", event.data["passthrough"]
  end

  def test_tolerates_five_minutes_both_ways
    headers = signed
    verify(envelope, headers, now: TIMESTAMP + 300)
    verify(envelope, headers, now: TIMESTAMP - 300)
    assert_rejected(:stale_timestamp) { verify(envelope, headers, now: TIMESTAMP + 301) }
    assert_rejected(:future_timestamp) { verify(envelope, headers, now: TIMESTAMP - 301) }
  end

  def test_tolerance_and_clock_are_options
    headers = signed
    assert_rejected(:stale_timestamp) { Hookline.verify(envelope, headers, SECRET, now: Time.at(TIMESTAMP + 61), tolerance: 60) }
    assert_rejected(:stale_timestamp) { Hookline.verify(envelope, headers, SECRET) }
    fresh = signed(timestamp: Time.now)
    assert_equal "video.asset.ready", Hookline.verify(envelope, fresh, SECRET).type
  end

  def test_rotation_accepts_any_v1_signature
    headers = signed(secret: [OTHER_SECRET, SECRET])
    assert_equal 2, headers["webhook-signature"].split(" ").size
    verify(envelope, headers, SECRET)
    verify(envelope, headers, OTHER_SECRET)
    assert_rejected(:invalid_signature) { verify(envelope, headers, "whsec_#{['x' * 24].pack('m0')}") }
  end

  def test_ignores_other_versions_and_malformed_entries
    good = signed["webhook-signature"].delete_prefix("v1,")
    ["v1a,#{good}", "v2,#{good}", "v1", "v1,", good, "v1,#{good[0..-2]}"].each do |signature|
      headers = signed.merge("webhook-signature" => signature)
      assert_rejected(:invalid_signature) { verify(envelope, headers) }
    end
    verify(envelope, signed.merge("webhook-signature" => "v1a,#{good} v1,garbage v1,#{good}"))
  end

  def test_tampered_body_id_or_timestamp
    headers = signed
    assert_rejected(:invalid_signature) { verify(envelope.sub("a1", "a2"), headers) }
    assert_rejected(:invalid_signature) { verify(envelope, headers.merge("webhook-id" => "evt_other")) }
    assert_rejected(:invalid_signature) { verify(envelope, headers.merge("webhook-timestamp" => (TIMESTAMP + 1).to_s)) }
  end

  def test_missing_headers
    %w[webhook-id webhook-timestamp webhook-signature].each do |name|
      error = assert_rejected(:missing_header) { verify(envelope, signed.reject { |k, _| k == name }) }
      assert_includes error.message, name
      assert_rejected(:missing_header) { verify(envelope, signed.merge(name => "")) }
    end
    assert_rejected(:missing_header) { verify(envelope, {}) }
    assert_rejected(:missing_header) { verify(envelope, nil) }
  end

  def test_headers_in_any_case
    headers = signed.to_h { |k, v| [k.split("-").map(&:capitalize).join("-"), v] }
    assert_equal ["Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"], headers.keys
    verify(envelope, headers)
    verify(envelope, signed.transform_keys(&:upcase))
    verify(envelope, signed.transform_keys(&:to_sym))
  end

  def test_rack_env_headers
    env = signed.to_h { |k, v| ["HTTP_#{k.upcase.tr('-', '_')}", v] }
    env.merge!("REQUEST_METHOD" => "POST", "rack.input" => StringIO.new, "CONTENT_TYPE" => "application/json")
    assert_equal "video.asset.ready", verify(envelope, env).type
  end

  def test_header_values_given_as_lists
    headers = signed.transform_values { |v| [v] }
    verify(envelope, headers)
  end

  def test_bad_timestamps
    ["soon", "-5", "1.5", "1763892000abc", "9" * 20].each do |timestamp|
      assert_rejected(:invalid_timestamp) { verify(envelope, signed.merge("webhook-timestamp" => timestamp)) }
    end
  end

  def test_secrets
    bare = SECRET.delete_prefix("whsec_")
    verify(envelope, signed, bare)
    padded = "whsec_#{['k' * 25].pack('m0')}"
    trimmed = padded.delete("=")
    refute_equal padded, trimmed
    verify(envelope, signed(secret: trimmed), trimmed)
    ["whsec_", "", "whsec_not base64!", nil, 42].each do |secret|
      assert_rejected(:invalid_secret) { verify(envelope, signed, secret) }
    end
  end

  def test_payload_must_be_a_json_object
    ["not json", "[1,2]", ""].each do |payload|
      assert_rejected(:invalid_payload) { verify(payload, signed(payload)) }
    end
  end

  def test_payload_must_be_the_raw_string
    assert_raises(ArgumentError) { verify(JSON.parse(envelope), signed) }
  end

  def test_binary_bodies_verify_as_bytes
    event = verify(envelope.b, signed)
    assert_equal "café", event.data["passthrough"]
    assert_equal Encoding::UTF_8, event.data["passthrough"].encoding
  end

  def test_error_hierarchy
    assert_operator Hookline::WebhookVerificationError, :<, Hookline::Error
    assert_operator Hookline::Error, :<, StandardError
  end
end
