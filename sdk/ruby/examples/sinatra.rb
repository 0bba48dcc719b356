# frozen_string_literal: true

# A Sinatra app receiving Hookline deliveries, both ways the gem offers.
#
#   gem install sinatra hookline
#   HOOKLINE_SIGNING_SECRET=whsec_… ruby examples/sinatra.rb
#
# Then point a Hookline destination at http://<host>:4567/webhooks.

require "json"
require "sinatra"
require "hookline"

SECRET = ENV.fetch("HOOKLINE_SIGNING_SECRET")

# 1. The middleware: verification, 400/500 answers and per-type dispatch are done for you.
use Hookline::Rack, secret: SECRET, path: "/webhooks" do
  on Hookline::EventTypes::VIDEO_ASSET_READY do |event|
    playback = event.dig("data", "playback_ids", 0, "id")
    puts "asset #{event.object['id']} is ready: https://stream.mux.com/#{playback}.m3u8"
  end

  on "video.asset.errored", "video.upload.errored" do |event|
    warn "#{event.type} for #{event.object['id']}: #{event.data['errors'].inspect}"
  end

  on_event { |event| puts "#{event.id} #{event.type} from #{event.provider}" }
end

# 2. By hand in a route, for full control over the answer.
post "/webhooks/manual" do
  request.body.rewind
  event = Hookline.verify(request.body.read, request.env, SECRET)
  puts "verified #{event.type} (#{event.id}), occurred at #{event.occurred_at&.iso8601}"
  status 204
rescue Hookline::WebhookVerificationError => e
  halt 400, { "content-type" => "application/json" }, JSON.generate(error: { code: e.reason, message: e.message })
end
