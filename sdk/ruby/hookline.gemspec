# frozen_string_literal: true

require_relative "lib/hookline/version"

Gem::Specification.new do |spec|
  spec.name = "hookline"
  spec.version = Hookline::VERSION
  spec.authors = ["Hookline contributors"]
  spec.summary = "Verify and handle webhooks forwarded by a Hookline relay"
  spec.description = "Standard Webhooks verification, the normalized Hookline event with a constant and " \
                     "predicate per canonical type, and a Rack middleware with per-type handlers. " \
                     "Standard library only."
  spec.license = "Apache-2.0"
  spec.required_ruby_version = ">= 3.1"
  spec.metadata["rubygems_mfa_required"] = "true"

  # Globbed rather than `git ls-files`, so the gem builds from an unpacked tree or a CI
  # checkout without git.
  spec.files = Dir.chdir(__dir__) { Dir["lib/**/*.rb", "README.md"] }
  spec.require_paths = ["lib"]
end
