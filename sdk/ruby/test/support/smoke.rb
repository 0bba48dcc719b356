# frozen_string_literal: true

# Run against the installed gem, not lib/: GEM_HOME=$tmp GEM_PATH=$tmp ruby test/support/smoke.rb
# Fails (exit 1) unless the gem loads from GEM_HOME, with nothing but the standard
# library, and verifies a shared vector.

require "json"
require "hookline"
require "hookline/rack"

def check(ok, what)
  abort "smoke: #{what}" unless ok
end

gem_home = ENV.fetch("GEM_HOME") { abort "smoke: set GEM_HOME to the gem's install dir" }
loaded_from = $LOADED_FEATURES.find { |f| f.end_with?("/hookline.rb") }
check loaded_from&.start_with?(File.expand_path(gem_home)), "hookline loaded from #{loaded_from}, not from #{gem_home}"
check $LOADED_FEATURES.none? { |f| f.match?(%r{/rack(/|\.rb)}) && !f.include?("/hookline/") },
      "loading hookline pulled in the rack gem"

vectors_file = File.expand_path("../../../../fixtures/vectors/standard-webhooks.json", __dir__)
vectors = JSON.parse(File.read(vectors_file))
vector = vectors["vectors"].find { |v| v["name"] == "normalized-event" }
headers = { "webhook-id" => vector["id"], "webhook-timestamp" => vector["timestamp"].to_s,
            "webhook-signature" => vector["signature"] }
event = Hookline.verify(vector["body"], headers, vector["secret"], now: vector["timestamp"] + 60)
check event.video_asset_ready?, "the vector did not verify to a video.asset.ready event"

begin
  Hookline.verify(vector["body"], headers, vector["secret"], now: vector["timestamp"] + 301)
  check false, "a stale delivery verified"
rescue Hookline::WebhookVerificationError => e
  check e.reason == :stale_timestamp, "stale delivery rejected for #{e.reason}"
end

puts "smoke: hookline #{Hookline::VERSION} from #{File.dirname(loaded_from)} verified #{event.id}"
