defmodule Roster.CoverageTest do
  # Every function of the C API (capi/roster.map) is reached from Elixir:
  # a new one in the map fails this test until it is wrapped or listed.
  use ExUnit.Case, async: true

  # C function => the NIF function that calls it.
  @covered %{
    "roster_batch_begin" => :batch_begin,
    "roster_batch_commit" => :batch_commit,
    "roster_events_apply" => :events_apply,
    "roster_guild_create" => :new,
    "roster_guild_destroy" => :close,
    "roster_guild_flush" => :flush,
    "roster_guild_member_count" => :member_count,
    "roster_guild_session_count" => :session_count,
    "roster_guild_set_everyone_view" => :set_everyone_view,
    # set by new and load, pointed at a pid by set_owner
    "roster_guild_set_frame_callback" => :set_owner,
    # set_frame_format(guild, :queue); taken after every call
    "roster_guild_set_frame_queue" => :set_frame_format,
    "roster_guild_take_frames" => :set_frame_format,
    "roster_guild_set_offline_threshold" => :set_offline_threshold,
    "roster_list_counts" => :list_counts,
    "roster_list_groups" => :list_groups,
    "roster_list_index_of" => :list_index_of,
    "roster_list_length" => :list_length,
    "roster_list_remove" => :list_remove,
    "roster_list_rows" => :list_rows,
    "roster_list_set" => :list_set,
    "roster_member_add" => :member_add,
    "roster_member_add_role" => :member_add_role,
    "roster_member_get" => :member_get,
    "roster_member_remove" => :member_remove,
    "roster_member_remove_role" => :member_remove_role,
    "roster_member_set_name" => :member_set_name,
    "roster_member_set_roles" => :member_set_roles,
    "roster_member_set_sort_key" => :member_set_sort_key,
    "roster_member_set_status" => :member_set_status,
    "roster_member_touch" => :member_touch,
    "roster_member_upsert" => :member_upsert,
    "roster_members_add" => :members_add,
    "roster_role_remove" => :role_remove,
    "roster_role_upsert" => :role_upsert,
    "roster_roles_reorder" => :roles_reorder,
    "roster_session_ranges" => :session_ranges,
    "roster_session_remove" => :session_remove,
    "roster_session_subscribe" => :session_subscribe,
    "roster_version_string" => :version,
    "roster_guild_load_buffer" => :load,
    # the read callback takes the pieces load_stream_feed gives it
    "roster_guild_load" => :load_stream_open,
    "roster_guild_save" => :save,
    "roster_guild_stats" => :stats
  }

  # Not wrapped, and why.
  @not_wrapped %{
    # members_add reports the failing entry's status, not its index
    "roster_members_add_at" => :members_add,
    # statuses are atoms; Roster.status_code/1 gives the numbers
    "roster_status_str" => :none,
    "roster_version_number" => :version,
    # a query for the Discord adapter's permission check; Roster.Guild
    # keeps no per-user permissions of its own
    "roster_list_can_view" => :none
  }

  test "every function of capi/roster.map is wrapped or listed as not wrapped" do
    map = File.read!(Path.expand("../../../capi/roster.map", __DIR__))
    symbols = Regex.scan(~r/^\s+(roster_\w+);/m, map, capture: :all_but_first) |> List.flatten()
    assert length(symbols) > 40
    missing = symbols -- (Map.keys(@covered) ++ Map.keys(@not_wrapped))
    assert missing == [], "not reached from Elixir: #{inspect(missing)}"
    nifs = Keyword.keys(Roster.NIF.functions())
    for {_c, nif} <- @covered, do: assert(nif in nifs)
    # and every NIF function has its Roster wrapper
    Code.ensure_loaded!(Roster)

    for {name, arity} <- Roster.NIF.functions(), name != :frames_decode_dirty do
      assert function_exported?(Roster, name, arity), "Roster.#{name}/#{arity}"
    end
  end
end
