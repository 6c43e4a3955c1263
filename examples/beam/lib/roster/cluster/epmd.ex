defmodule Roster.Cluster.Epmd do
  @moduledoc """
  Node discovery without epmd, for clusters on one host (the tests): a
  node named `name_PORT@host` listens on PORT, so the port of any node is
  read from its name. Used with the emulator flags

      -epmd_module Elixir.Roster.Cluster.Epmd -start_epmd false

  (the callbacks of an `-epmd_module`). A real deployment keeps epmd, or
  its own discovery; nothing else in `Roster.Cluster` depends on this.
  """

  @doc false
  def start_link, do: :ignore

  @doc false
  def register_node(name, port), do: register_node(name, port, :inet)
  # The creation tells incarnations of a node apart: random is enough here.
  @doc false
  def register_node(_name, _port, _family), do: {:ok, :rand.uniform(0xFFFFFF) + 3}

  @doc false
  def listen_port_please(name, _host), do: {:ok, port_of(name)}

  @doc false
  def port_please(name, host), do: port_please(name, host, :infinity)
  # 6: the distribution protocol version of OTP 23 and later
  @doc false
  def port_please(name, _host, _timeout), do: {:port, port_of(name), 6}

  @doc false
  def address_please(_name, host, family), do: :inet.getaddr(host, family)

  @doc false
  def names, do: {:error, :address}
  @doc false
  def names(_host), do: {:error, :address}

  @doc "The port of a node name (`name_PORT`, with or without `@host`)."
  @spec port_of(atom() | charlist() | String.t()) :: :inet.port_number()
  def port_of(name) do
    name
    |> to_string()
    |> String.split("@")
    |> hd()
    |> String.split("_")
    |> List.last()
    |> String.to_integer()
  end
end
