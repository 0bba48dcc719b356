# frozen_string_literal: true

require "minitest/autorun"
require "json"
require "hookline"

module TestSupport
  # The signature vectors every SDK and the relay are checked against (fixtures/vectors at the repo root).
  VECTORS = File.expand_path("../../../fixtures/vectors", __dir__)
  SECRET = "whsec_aG9va2xpbmUtdGVzdC1kZXN0aW5hdGlvbi1rZXktMzJi"
  OTHER_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
  TIMESTAMP = 1_763_892_000

  module_function

  def vectors
    @vectors ||= JSON.parse(File.read(File.join(VECTORS, "standard-webhooks.json")))
  end

  def envelope(type: "video.asset.ready", id: "evt_01JDQ3Z8M1V6Y2K9T4R7W0XABC")
    JSON.generate(
      id: id,
      type: type,
      provider: "mux",
      source_id: "src_1",
      occurred_at: "2018-02-15T01:04:45.000Z",
      received_at: "2026-11-23T10:00:00.123Z",
      object: { type: "asset", id: "0201p02fGKPE7MrbC269XRD7LpcHhrmbu0002" },
      environment: { id: "j0863n", name: "Demo pages" },
      provider_event: { id: "3a56ac3d-33da-4366-855b-f592d898409d", type: type },
      data: { id: "a1", passthrough: "café" },
    )
  end

  def signed(payload = envelope, secret: SECRET, timestamp: TIMESTAMP, id: "evt_01JDQ3Z8M1V6Y2K9T4R7W0XABC")
    Hookline.sign(id: id, timestamp: timestamp, payload: payload, secret: secret)
  end
end
