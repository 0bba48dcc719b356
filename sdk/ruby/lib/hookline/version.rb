# frozen_string_literal: true

module Hookline
  VERSION = "0.1.0"
end
