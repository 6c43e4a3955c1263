defmodule Roster.MixProject do
  use Mix.Project

  # The Elixir package of roster's BEAM host: no dependencies, builds
  # offline. The NIF (c_src/roster_nif.c) is built by meson, not by mix:
  # see README.md for where the package looks for it.
  def project do
    [
      app: :roster,
      version: "0.1.0",
      elixir: "~> 1.14",
      start_permanent: false,
      deps: [],
      elixirc_options: [warnings_as_errors: true]
    ]
  end

  def application do
    [extra_applications: []]
  end
end
