defmodule Roster.NIF do
  @moduledoc """
  The NIF itself (c_src/roster_nif.c): one function per call of roster's C
  API. Use `Roster`, which documents each of them; this module only loads
  the shared object and declares the stubs.

  The shared object is looked up, in this order:

    * the path in the environment variable `ROSTER_NIF_PATH` (with or
      without the `.so` suffix), which is how the tests run it from a
      meson build directory;
    * `roster_nif.so` in the `:roster` application's `priv` directory,
      where a release puts it.
  """
  @on_load :load_nif

  @doc false
  def load_nif do
    path =
      case System.get_env("ROSTER_NIF_PATH") do
        nil ->
          case :code.priv_dir(:roster) do
            {:error, _} -> ~c"priv/roster_nif"
            dir -> :filename.join(dir, ~c"roster_nif")
          end

        p ->
          String.to_charlist(Path.rootname(p, ".so"))
      end

    :erlang.load_nif(path, 0)
  end

  @names [
    new: 1,
    close: 1,
    live_guilds: 0,
    version: 0,
    set_owner: 2,
    set_frame_format: 2,
    set_everyone_view: 2,
    set_offline_threshold: 2,
    member_count: 1,
    session_count: 1,
    batch_begin: 1,
    batch_commit: 1,
    flush: 1,
    role_upsert: 4,
    role_remove: 2,
    roles_reorder: 2,
    member_add: 5,
    member_upsert: 5,
    members_add: 2,
    member_remove: 2,
    member_set_status: 3,
    member_set_name: 3,
    member_set_sort_key: 3,
    member_set_roles: 3,
    member_add_role: 3,
    member_remove_role: 3,
    member_touch: 2,
    member_get: 2,
    events_apply: 2,
    list_set: 5,
    list_remove: 2,
    list_length: 2,
    list_counts: 2,
    list_groups: 2,
    list_rows: 4,
    list_index_of: 3,
    session_subscribe: 4,
    session_remove: 2,
    session_ranges: 3,
    stats: 1,
    save: 2,
    save_to: 5,
    load: 2,
    load_stream_open: 1,
    load_stream_feed: 2,
    load_stream_finish: 1,
    frames_decode: 1,
    frames_decode_dirty: 1
  ]

  @doc false
  def functions, do: @names

  for {name, arity} <- @names do
    args = Macro.generate_arguments(arity, __MODULE__)
    @doc false
    def unquote(name)(unquote_splicing(args)) do
      _ = {unquote_splicing(args)}
      :erlang.nif_error(:not_loaded)
    end
  end
end
