# frozen_string_literal: true

# A customer app for the end-to-end test (test/sdk-ruby.test.ts): Hookline::Rack, from the
# INSTALLED gem, under WEBrick, recording every event it is handed.
#
#   GEM_HOME=<install dir> GEM_PATH=<install dir> HOOKLINE_SECRET=whsec_… \
#   HOOKLINE_EVENTS_FILE=events.jsonl ruby test/support/server.rb PORT

require "json"
require "hookline"
require "rack"
require "webrick"
begin
  require "rackup/handler/webrick" # Rack 3
rescue LoadError
  require "rack/handler/webrick" # Rack 2, as Debian ships it
end

port = Integer(ARGV.fetch(0) { abort "usage: ruby server.rb PORT" })
secret = ENV.fetch("HOOKLINE_SECRET")
events_file = ENV.fetch("HOOKLINE_EVENTS_FILE")
gem_home = ENV.fetch("GEM_HOME") { abort "server: set GEM_HOME to the gem's install dir" }
loaded_from = $LOADED_FEATURES.find { |f| f.end_with?("/hookline.rb") }
abort "server: hookline came from #{loaded_from}, not #{gem_home}" unless loaded_from&.start_with?(File.expand_path(gem_home))

# Handlers run in order on one request thread: the per-type one marks the event, the
# catch-all one records it with that mark.
fired = {}
lock = Mutex.new
webhooks = Hookline::Rack.new(nil, secret: secret, path: "/webhooks") do
  on(Hookline::EventTypes::VIDEO_ASSET_READY) { |event| lock.synchronize { fired[event.id] = true } }
  on_event do |event|
    line = JSON.generate(type: event.type, id: event.id, provider: event.provider,
                         handler_fired: lock.synchronize { fired.delete(event.id) } || false)
    lock.synchronize { File.open(events_file, "a") { |f| f.puts(line) } }
  end
end

handler = defined?(Rackup::Handler::WEBrick) ? Rackup::Handler::WEBrick : Rack::Handler::WEBrick
handler.run(
  webhooks,
  Host: "127.0.0.1",
  Port: port,
  AccessLog: [],
  Logger: WEBrick::Log.new($stderr, WEBrick::Log::WARN),
  StartCallback: lambda {
    $stdout.puts("hookline-ruby listening on #{port}")
    $stdout.flush
  },
)
