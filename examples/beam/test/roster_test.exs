defmodule RosterTest do
  # Not async: the live-guild counter is global to the VM.
  use ExUnit.Case, async: false
  import Roster.TestHelper

  @max 18_446_744_073_709_551_615

  test "version and status codes" do
    assert {:ok, v} = Roster.version()
    assert v =~ ~r/^\d+\.\d+\.\d+$/
    assert Roster.status_code(:ok) == 0
    assert Roster.status_code({:error, :enotfound}) == -2
    assert Roster.status_code({:error, :eio}) == -11
    assert Roster.status_code({:ok, 5}) == 0
    assert Roster.status_code({:error, :badarg}) == nil
  end

  test "the NIF exports every function Roster.NIF declares, at its arity" do
    for {name, arity} <- Roster.NIF.functions() do
      assert function_exported?(Roster.NIF, name, arity)
    end
  end

  test "new with a keyword list, a map, and refused configs" do
    assert {:ok, g} = Roster.new()
    assert {:ok, 0} = Roster.member_count(g)
    assert {:ok, _} = Roster.new(%{chunk_size: 10, everyone_view: false})
    assert {:ok, _} = Roster.new(offline_threshold: 5, everyone_view: 1)
    # roster refuses a zero limit
    assert {:error, :einval} = Roster.new(chunk_size: 0)
    assert {:error, :einval} = Roster.new(%{max_members: 0})
    # bad terms
    assert {:error, :badarg} = Roster.new(nope: 1)
    assert {:error, :badarg} = Roster.new(chunk_size: -1)
    assert {:error, :badarg} = Roster.new(chunk_size: 2 ** 32)
    assert {:error, :badarg} = Roster.new(%{"chunk_size" => 10})
    assert {:error, :badarg} = Roster.new([{:chunk_size, 10, 1}])
    assert {:error, :badarg} = Roster.new(:nope)
    assert {:error, :badarg} = Roster.new([:chunk_size | 1])
  end

  test "roles: upsert, flags, remove, reorder" do
    g = scenario_guild()

    assert {:ok, [{101, 15}, {102, 8}, {103, 7}, {:online, 8}, {:offline, 12}]} =
             Roster.list_groups(g, 0)

    # 103 above 101: its section comes first
    assert :ok = Roster.roles_reorder(g, [{103, 10}, {101, 9}])
    assert {:ok, [{103, _}, {101, _}, {102, _} | _]} = Roster.list_groups(g, 0)
    # flags as an integer (1 = hoist): not hoisted any more
    assert :ok = Roster.role_upsert(g, 103, 10, 0)
    assert {:ok, [{101, _}, {102, _} | _]} = Roster.list_groups(g, 0)
    assert :ok = Roster.role_upsert(g, 104, 1, [:hoist, :view, :admin])
    assert :ok = Roster.role_remove(g, 104)
    assert {:error, :enotfound} = Roster.role_remove(g, 104)
    assert {:error, :einval} = Roster.role_upsert(g, 0, 1, [:hoist])
    assert {:error, :einval} = Roster.role_upsert(g, @max, 1, [:hoist])
    assert {:error, :einval} = Roster.role_upsert(g, 105, 1, 64)
    assert {:error, :einval} = Roster.roles_reorder(g, [{101, 1}, {101, 2}])
    assert {:error, :enotfound} = Roster.roles_reorder(g, [{999, 1}])
    assert :ok = Roster.roles_reorder(g, [])
    assert {:error, :badarg} = Roster.role_upsert(g, 105, 1, [:shiny])
    assert {:error, :badarg} = Roster.role_upsert(g, 105, 2 ** 31, [])
    assert {:error, :badarg} = Roster.roles_reorder(g, [{101}])
    assert {:error, :badarg} = Roster.roles_reorder(g, [101])
  end

  test "members: every call" do
    g = scenario_guild()
    assert {:ok, 50} = Roster.member_count(g)

    assert {:ok, %{id: 1001, name: "m01", status: :idle, group: 102, roles: [102]}} =
             Roster.member_get(g, 1001)

    assert :ok = Roster.member_add(g, 2000, "new", [101, 102], :dnd)
    assert {:ok, %{roles: [101, 102], group: 101, status: :dnd}} = Roster.member_get(g, 2000)
    assert {:error, :eexist} = Roster.member_add(g, 2000, "new", [], :dnd)
    assert :ok = Roster.member_upsert(g, 2000, "renamed", [], :online)
    assert {:ok, %{name: "renamed", group: :online, roles: []}} = Roster.member_get(g, 2000)
    assert :ok = Roster.member_upsert(g, 2001, "fresh", [], :invisible)
    assert {:ok, %{status: :offline}} = Roster.member_get(g, 2001)
    assert :ok = Roster.member_set_status(g, 2001, :idle)
    assert {:ok, %{status: :idle}} = Roster.member_get(g, 2001)
    assert :ok = Roster.member_set_name(g, 2001, "zz top")
    assert {:ok, %{name: "zz top"}} = Roster.member_get(g, 2001)
    # the sort key moves the member; nil restores the name's order
    {:ok, before} = Roster.list_index_of(g, 0, 2001)
    assert :ok = Roster.member_set_sort_key(g, 2001, <<0>>)
    {:ok, moved} = Roster.list_index_of(g, 0, 2001)
    assert moved < before
    assert :ok = Roster.member_set_sort_key(g, 2001, nil)
    assert {:ok, ^before} = Roster.list_index_of(g, 0, 2001)
    assert :ok = Roster.member_set_roles(g, 2001, [103])
    assert :ok = Roster.member_add_role(g, 2001, 101)
    assert {:ok, %{roles: [101, 103], group: 101}} = Roster.member_get(g, 2001)
    assert :ok = Roster.member_remove_role(g, 2001, 101)
    assert {:ok, %{roles: [103]}} = Roster.member_get(g, 2001)
    assert :ok = Roster.member_touch(g, 2001)
    assert :ok = Roster.member_remove(g, 2001)
    assert {:error, :enotfound} = Roster.member_get(g, 2001)
    assert {:ok, 51} = Roster.member_count(g)
    # roster's own refusals
    assert {:error, :einval} = Roster.member_add(g, 0, "x", [], :online)
    assert {:error, :einval} = Roster.member_add(g, 3000, "", [], :online)
    assert {:error, :einval} = Roster.member_add(g, 3000, <<0xFF, 0xFE>>, [], :online)
    assert {:error, :einval} = Roster.member_set_name(g, 1001, String.duplicate("a", 129))
    assert {:error, :enotfound} = Roster.member_add(g, 3000, "x", [999], :online)
    assert {:error, :enotfound} = Roster.member_remove(g, @max)
    assert {:error, :enotfound} = Roster.member_set_status(g, 3000, :online)
    assert {:error, :einval} = Roster.member_set_sort_key(g, 1001, "")
    # bulk add: all or nothing
    assert {:error, :eexist} =
             Roster.members_add(g, [{3000, "a", [], :online}, {1001, "b", [], :online}])

    assert {:ok, 51} = Roster.member_count(g)
    assert :ok = Roster.members_add(g, [{3000, "a", [], :online}, {3001, "b", [102], :dnd}])
    assert {:ok, 53} = Roster.member_count(g)
    assert :ok = Roster.members_add(g, [])
  end

  test "events_apply: statuses per event, one flush for all" do
    g = scenario_guild()
    :ok = Roster.session_subscribe(g, 1, 0, [{0, 29}])
    _ = frames()

    events = [
      {:status, 1001, :online},
      {:name, 1002, "aaa"},
      {:roles, 1003, [102]},
      {:add_role, 1004, 101},
      {:remove_role, 1005, 101},
      {:touch, 1006},
      {:add, 2000, "added", [103], :dnd},
      {:upsert, 2000, "upserted", [], :idle},
      {:remove, 1007},
      {:status, 9999, :online},
      {:add, 0, "zero", [], :online}
    ]

    assert {:ok, statuses} = Roster.events_apply(g, events)
    assert statuses == List.duplicate(:ok, 9) ++ [:enotfound, :einval]
    assert [{:roster_frame, 0, [1], _}] = frames()
    assert {:ok, %{name: "upserted", status: :idle}} = Roster.member_get(g, 2000)
    assert {:ok, %{name: "aaa"}} = Roster.member_get(g, 1002)
    assert {:error, :enotfound} = Roster.member_get(g, 1007)
    assert {:ok, []} = Roster.events_apply(g, [])
    # one bad term: nothing applied
    assert {:error, :badarg} = Roster.events_apply(g, [{:status, 1001, :idle}, {:status, 1001}])
    assert {:error, :badarg} = Roster.events_apply(g, [{:explode, 1001}])
    assert {:error, :badarg} = Roster.events_apply(g, [{:name, 1001, ~c"charlist"}])
    # terms of every other kind in the list, and lists that are not proper
    ok = {:status, 1001, :idle}

    for bad <- [1001, :status, "status", 1.5, %{status: 1001}, [ok], self(), make_ref(), <<1::3>>] do
      assert {:error, :badarg} = Roster.events_apply(g, [ok, bad, ok])
    end

    assert {:error, :badarg} = Roster.events_apply(g, [ok | ok])
    assert {:error, :badarg} = Roster.events_apply(g, ok)
    assert {:ok, %{status: :online}} = Roster.member_get(g, 1001)
    assert [] = frames()
  end

  test "lists and queries" do
    g = scenario_guild()
    assert {:ok, {20, 15}} = Roster.list_counts(g, 7)
    assert {:ok, len} = Roster.list_length(g, 7)
    assert len == 20 + 3
    assert {:ok, [{:header, 101, 14}, {:member, 1008, 101}]} = Roster.list_rows(g, 7, 0, 1)
    assert {:ok, rows} = Roster.list_rows(g, 7, 0, 1000)
    assert length(rows) == len
    assert {:ok, []} = Roster.list_rows(g, 7, 1000, 2000)
    assert {:ok, 1} = Roster.list_index_of(g, 7, 1008)
    assert {:error, :enotfound} = Roster.list_index_of(g, 7, 1001)
    assert {:error, :einval} = Roster.list_rows(g, 7, 5, 1)
    assert :ok = Roster.list_set(g, 8, :none)
    assert {:ok, {50, 38}} = Roster.list_counts(g, 8)
    assert :ok = Roster.list_set(g, 8, :allow, [{102, :deny}])
    # the 10 members holding 102 are not in it
    assert {:ok, {40, _}} = Roster.list_counts(g, 8)
    assert :ok = Roster.list_remove(g, 8)
    assert {:error, :enotfound} = Roster.list_counts(g, 8)
    assert {:error, :enotfound} = Roster.list_remove(g, 8)
    assert {:error, :einval} = Roster.list_set(g, 0, :deny)
    assert {:error, :einval} = Roster.list_set(g, 9, :deny, [{101, :allow}, {101, :deny}])
    assert {:error, :badarg} = Roster.list_set(g, 9, :maybe)
    assert {:error, :badarg} = Roster.list_set(g, 9, :deny, [{101, true}])
    assert {:error, :badarg} = Roster.list_set(g, 9, :deny, [], [{-1, :allow}])
    assert {:error, :enotfound} = Roster.list_counts(g, 9)
    assert {:error, :badarg} = Roster.list_rows(g, 7, -1, 3)
  end

  # roster_config.tail_deletes: the row leaving the end of the list gets a
  # DELETE (for clients that never resize); without it, none.
  defp deletes_when_last_leaves(config) do
    {:ok, g} = Roster.new([chunk_size: 5] ++ config)
    for i <- 1..7, do: :ok = Roster.member_add(g, i, "n#{i}", [], :online)
    :ok = Roster.session_subscribe(g, 1, 0, [{0, 9}])
    _ = frames()
    :ok = Roster.member_remove(g, 7)
    for {:roster_frame, 0, [1], f} <- frames(), {:delete, i} <- f.ops, do: i
  end

  test "tail deletes" do
    assert [7] = deletes_when_last_leaves(tail_deletes: true)
    assert [7] = deletes_when_last_leaves(tail_deletes: 1)
    assert [] = deletes_when_last_leaves([])
    assert {:error, :einval} = Roster.new(tail_deletes: 2)
  end

  test "guild settings, batches, flush, stats" do
    g = scenario_guild()
    :ok = Roster.session_subscribe(g, 1, 0, [{0, 9}])
    assert [{:roster_frame, 0, [1], %{ops: [{:sync, 0, 9, _}]}}] = frames()
    assert :ok = Roster.batch_begin(g)
    assert :ok = Roster.member_set_status(g, 1008, :offline)
    assert :ok = Roster.member_set_status(g, 1010, :offline)
    assert [] = frames()
    assert {:error, :einval} = Roster.flush(g)
    assert :ok = Roster.batch_commit(g)
    assert [{:roster_frame, 0, [1], _}] = frames()
    assert {:error, :einval} = Roster.batch_commit(g)
    assert :ok = Roster.flush(g)
    assert [] = frames()
    # threshold 10: offline members are hidden
    assert :ok = Roster.set_offline_threshold(g, 10)
    assert {:ok, groups} = Roster.list_groups(g, 0)
    refute List.keymember?(groups, :offline, 0)
    # a list of "who may view the guild": without @everyone's VIEW, only
    # the holders of a role with VIEW (none yet, then 101's)
    assert :ok = Roster.list_set(g, 8, :none)
    assert {:ok, {50, _}} = Roster.list_counts(g, 8)
    assert :ok = Roster.set_everyone_view(g, false)
    assert {:ok, {0, 0}} = Roster.list_counts(g, 8)
    assert :ok = Roster.role_upsert(g, 101, 3, [:hoist, :view])
    assert {:ok, {20, _}} = Roster.list_counts(g, 8)
    assert :ok = Roster.set_everyone_view(g, true)
    assert {:ok, {50, _}} = Roster.list_counts(g, 8)
    assert {:error, :badarg} = Roster.set_everyone_view(g, 1)
    assert {:error, :badarg} = Roster.set_offline_threshold(g, -5)
    assert {:ok, st} = Roster.stats(g)
    assert %{members: 50, lists: 3, sessions: 1} = st
    assert st.frames > 0 and st.flushes > 0 and st.memory_bytes > 0
    assert {:ok, 1} = Roster.session_count(g)
  end

  test "sessions: frames to the owner, ranges, unsubscribe, remove, set_owner" do
    g = scenario_guild()
    assert :ok = Roster.session_subscribe(g, 1, 0, [{0, 9}])
    assert :ok = Roster.session_subscribe(g, 2, 0, [{0, 9}])
    assert :ok = Roster.session_subscribe(g, 3, 7, [{25, 5}])

    assert [{:roster_frame, 0, [1], f}, {:roster_frame, 0, [2], f}, {:roster_frame, 7, [3], f7}] =
             frames()

    assert %{list_id: 0, member_count: 50, online_count: 38} = f
    assert [{:sync, 0, 9, [{:header, 101, 15} | _]}] = f.ops
    assert f7.list_id == 7
    assert {:ok, [{0, 29}]} = Roster.session_ranges(g, 3, 7)
    assert {:ok, []} = Roster.session_ranges(g, 3, 0)
    assert {:error, :enotfound} = Roster.session_ranges(g, 99, 0)
    # shared frame
    :ok = Roster.member_set_name(g, 1010, "aaa")
    assert [{:roster_frame, 0, s, _}, {:roster_frame, 7, [3], _}] = frames()
    assert Enum.sort(s) == [1, 2]
    # another owner
    parent = self()
    pid = spawn_link(fn -> receive(do: (:go -> send(parent, {:got, frames()}))) end)
    assert :ok = Roster.set_owner(g, pid)
    :ok = Roster.member_set_name(g, 1010, "aab")
    send(pid, :go)
    assert_receive {:got, [_, _]}
    assert [] = frames()
    assert :ok = Roster.set_owner(g, nil)
    :ok = Roster.member_set_name(g, 1010, "aac")
    assert :ok = Roster.set_owner(g, self())
    assert [] = frames()
    assert {:error, :badarg} = Roster.set_owner(g, :me)
    # unsubscribe: a last INVALIDATE frame; the session stays
    assert :ok = Roster.session_unsubscribe(g, 3, 7)
    assert [{:roster_frame, 7, [3], %{ops: [{:invalidate, 0, 29}]}}] = frames()
    assert {:ok, 3} = Roster.session_count(g)
    assert :ok = Roster.session_remove(g, 3)
    assert {:error, :enotfound} = Roster.session_remove(g, 3)
    assert {:ok, 2} = Roster.session_count(g)
    # roster's refusals
    assert {:error, :einval} = Roster.session_subscribe(g, 0, 0, [{0, 9}])
    assert {:error, :enotfound} = Roster.session_subscribe(g, 5, 99, [{0, 9}])

    assert {:error, :elimit} =
             Roster.session_subscribe(g, 5, 0, [{0, 9}, {20, 29}, {40, 49}, {60, 69}])

    assert {:error, :badarg} = Roster.session_subscribe(g, 5, 0, [{0, 9, 1}])
    assert {:error, :badarg} = Roster.session_subscribe(g, 5, 0, [{0, -9}])
    assert {:error, :badarg} = Roster.session_subscribe(g, 5, 0, {0, 9})
    assert {:ok, 2} = Roster.session_count(g)
  end

  test "frames keep a client's replica of every session true (random events)" do
    g = scenario_guild()
    subs = [{1, 0, [{0, 9}]}, {2, 0, [{25, 34}, {50, 59}]}, {3, 7, [{0, 19}]}, {4, 0, [{40, 59}]}]
    for {s, l, r} <- subs, do: :ok = Roster.session_subscribe(g, s, l, r)
    :rand.seed(:exsss, {1, 2, 3})
    replicas = apply_all(%{}, frames())

    replicas =
      Enum.reduce(1..20, replicas, fn _, reps ->
        events =
          for _ <- 1..15 do
            id = 1000 + :rand.uniform(60)

            case :rand.uniform(6) do
              1 -> {:status, id, Enum.random([:online, :idle, :dnd, :offline])}
              2 -> {:name, id, "n#{:rand.uniform(99)}"}
              3 -> {:roles, id, Enum.take_random([101, 102, 103], :rand.uniform(3) - 1)}
              4 -> {:upsert, id, "u#{:rand.uniform(99)}", [Enum.random([101, 102, 103])], :online}
              5 -> {:remove, id}
              6 -> {:touch, id}
            end
          end

        {:ok, _} = Roster.events_apply(g, events)
        reps = apply_all(reps, frames())
        for {s, l, _} <- subs, do: assert_replica(g, Map.get(reps, {s, l}, %{}), s, l)
        reps
      end)

    assert map_size(replicas) == 4
  end

  defp apply_all(reps, frames) do
    Enum.reduce(frames, reps, fn {:roster_frame, list, sessions, f}, acc ->
      Enum.reduce(sessions, acc, fn s, a ->
        Map.update(a, {s, list}, apply_frame(%{}, f), &apply_frame(&1, f))
      end)
    end)
  end

  # The JSON the NIF should send for a frame (the :terms frame, and the
  # members' data from the guild as of the flush).
  defp json_of(g, f) do
    q = fn x -> ["\"", to_string(x), "\""] end

    grp = fn
      :online -> q.("online")
      :offline -> q.("offline")
      id -> q.(id)
    end

    item = fn
      {:header, gid, n} ->
        ["{\"group\":{\"id\":", grp.(gid), ",\"count\":", to_string(n), "}}"]

      {:member, u, _} ->
        {:ok, m} = Roster.member_get(g, u)
        nick = m.name |> String.replace("\\", "\\\\") |> String.replace("\"", "\\\"")

        nick =
          Regex.replace(~r/[\x00-\x1f]/, nick, fn <<c>> -> :io_lib.format("\\u~4.16.0b", [c]) end)

        [
          "{\"member\":{\"user\":{\"id\":",
          q.(u),
          "},\"nick\":\"",
          nick,
          "\",\"roles\":[",
          Enum.map_intersperse(m.roles, ",", q),
          "],\"presence\":{\"status\":",
          q.(m.status),
          "}}}"
        ]
    end

    op = fn
      {:sync, a, b, items} ->
        [
          "{\"op\":\"SYNC\",\"range\":[#{a},#{b}],\"items\":[",
          Enum.map_intersperse(items, ",", item),
          "]}"
        ]

      {:insert, i, row} ->
        ["{\"op\":\"INSERT\",\"index\":#{i},\"item\":", item.(row), "}"]

      {:update, i, row} ->
        ["{\"op\":\"UPDATE\",\"index\":#{i},\"item\":", item.(row), "}"]

      {:delete, i} ->
        "{\"op\":\"DELETE\",\"index\":#{i}}"

      {:invalidate, a, b} ->
        "{\"op\":\"INVALIDATE\",\"range\":[#{a},#{b}]}"
    end

    id = if f.list_id == 0, do: q.("everyone"), else: q.(f.list_id)

    IO.iodata_to_binary([
      "{\"id\":",
      id,
      ",\"member_count\":#{f.member_count},\"online_count\":#{f.online_count},\"groups\":[",
      Enum.map_intersperse(f.groups, ",", fn {gid, n} ->
        ["{\"id\":", grp.(gid), ",\"count\":#{n}}"]
      end),
      "],\"ops\":[",
      Enum.map_intersperse(f.ops, ",", op),
      "]}"
    ])
  end

  test "frames as JSON: the same frames as the terms, as text" do
    g = scenario_guild()
    {:ok, h} = Roster.load(elem(Roster.save(g), 1), chunk_size: 10, max_range_span: 30)
    :ok = Roster.set_frame_format(h, :json)
    # a name that needs escaping
    for x <- [g, h], do: :ok = Roster.member_set_name(x, 1013, "a\"b\\c\nd é")

    steps = [
      fn x -> Roster.session_subscribe(x, 1, 0, [{0, 9}]) end,
      fn x -> Roster.session_subscribe(x, 2, 7, [{0, 19}]) end,
      fn x -> Roster.member_set_status(x, 1008, :offline) end,
      fn x -> Roster.member_set_roles(x, 1010, [101, 102]) end,
      fn x -> Roster.member_remove(x, 1013) end,
      fn x -> Roster.session_unsubscribe(x, 2, 7) end
    ]

    for step <- steps do
      :ok = step.(g)
      terms = frames()
      :ok = step.(h)
      texts = frames()
      assert length(terms) == length(texts) and terms != []

      for {{:roster_frame, l, s, f}, {:roster_frame, l2, s2, json}} <- Enum.zip(terms, texts) do
        assert {l, s} == {l2, s2}
        assert is_binary(json)
        assert json == json_of(h, f)
      end
    end

    assert {:error, :badarg} = Roster.set_frame_format(h, :xml)
    assert :ok = Roster.set_frame_format(h, :terms)
    {:ok, [_, {:member, u, _}]} = Roster.list_rows(h, 0, 0, 1)
    :ok = Roster.member_touch(h, u)
    assert [{:roster_frame, 0, [1], %{ops: _}}] = frames()
  end

  test "frames through the queue: one message per call, decoded to the same frames" do
    g = scenario_guild()
    {:ok, h} = Roster.load(elem(Roster.save(g), 1), chunk_size: 10, max_range_span: 30)
    :ok = Roster.set_frame_format(h, :queue)

    steps = [
      fn x -> Roster.session_subscribe(x, 1, 0, [{0, 9}]) end,
      fn x -> Roster.session_subscribe(x, 2, 7, [{0, 19}]) end,
      fn x -> Roster.session_subscribe(x, 3, 0, [{0, 9}, {20, 29}]) end,
      fn x -> Roster.session_subscribe(x, 4, 0, [{0, 9}]) end,
      fn x -> Roster.member_set_status(x, 1008, :offline) end,
      fn x -> Roster.member_set_roles(x, 1010, [101, 102]) end,
      fn x -> Roster.member_remove(x, 1013) end,
      fn x ->
        {:ok, st} =
          Roster.events_apply(x, [
            {:status, 1001, :dnd},
            {:add, 2001, "new", [102], :online},
            {:name, 1020, "zz"},
            {:remove, 1030}
          ])

        if Enum.all?(st, &(&1 == :ok)), do: :ok, else: st
      end,
      fn x -> Roster.session_subscribe(x, 3, 0, [{30, 39}]) end,
      fn x -> Roster.session_unsubscribe(x, 2, 7) end
    ]

    for step <- steps do
      :ok = step.(g)
      terms = frames()
      :ok = step.(h)
      assert_received {:roster_frames, block}
      # one message per call
      refute_received {:roster_frames, _}
      assert frames() == []
      assert {:ok, ^terms} = Roster.frames_decode(block)
      assert terms != []
    end

    # a call without frames sends nothing
    {:ok, _} = Roster.list_rows(h, 0, 0, 5)
    :ok = Roster.batch_begin(h)
    :ok = Roster.member_set_status(h, 1049, :dnd)
    refute_received {:roster_frames, _}
    :ok = Roster.batch_commit(h)
    assert_received {:roster_frames, _}

    # blocks that are not whole records: badarg, never a crash
    :ok = Roster.member_set_status(g, 1008, :online)
    :ok = Roster.member_set_status(h, 1008, :online)
    [_ | _] = frames()
    assert_received {:roster_frames, block}
    assert {:ok, [_ | _]} = Roster.frames_decode(block)
    assert {:ok, []} = Roster.frames_decode(<<>>)
    :rand.seed(:exsss, {4, 5, 6})

    bad =
      [
        :not_a_binary,
        binary_part(block, 0, byte_size(block) - 8),
        binary_part(block, 0, 39),
        block <> <<0>>,
        <<0::64, 0::256>>,
        <<48::little-64, 0::64, 0::64, 0::32, 0::32, 1::little-32, 0::32>>
      ] ++
        for k <- 0..(byte_size(block) - 1),
            rem(k, 4) == 0,
            do: corrupt(block, k)

    for b <- bad do
      case Roster.frames_decode(b) do
        {:error, :badarg} -> :ok
        # a field changed that decoding cannot tell (a count, an id)
        {:ok, list} when is_list(list) -> :ok
      end
    end

    for b <- Enum.take(bad, 6), do: assert({:error, :badarg} = Roster.frames_decode(b))

    # back to terms
    :ok = Roster.set_frame_format(h, :terms)
    :ok = Roster.member_set_status(h, 1008, :offline)
    assert [{:roster_frame, _, _, %{ops: _}} | _] = frames()
    refute_received {:roster_frames, _}
  end

  # Two guilds of 3,000 members, the same: g sends terms, h queues.
  defp big_pair do
    members =
      for i <- 1..3000 do
        {10_000 + i, "u" <> String.pad_leading(Integer.to_string(i), 4, "0"), [],
         elem({:online, :idle, :dnd}, rem(i, 3))}
      end

    for format <- [:terms, :queue] do
      {:ok, x} = Roster.new()
      :ok = Roster.members_add(x, members)
      :ok = Roster.set_frame_format(x, format)
      x
    end
  end

  # n sessions from `first` subscribe in one batch: with 25, SYNC frames of
  # about 100 KiB in all, more than a pooled block's threshold (64 KiB).
  defp big_step(x, first, n \\ 25) do
    :ok = Roster.batch_begin(x)

    for s <- first..(first + n - 1),
        do:
          :ok =
            Roster.session_subscribe(x, s, 0, [{0, 99}, {rem(s, 29) * 100, rem(s, 29) * 100 + 99}])

    Roster.batch_commit(x)
  end

  test "large frame blocks (reused buffers) stay whole while held, and after their guild is gone" do
    [g, h] = big_pair()
    # each step in both guilds: the terms of g and the block of h
    step = fn first ->
      :ok = big_step(g, first)
      terms = frames()
      :ok = big_step(h, first)
      assert_received {:roster_frames, block}
      assert byte_size(block) >= 65_536
      assert {:ok, ^terms} = Roster.frames_decode(block)
      {terms, block}
    end

    {terms_a, block_a} = step.(1)

    # more blocks than the pool keeps, each dropped and collected while a
    # is held: their buffers are reused, a's is not written over
    for k <- 1..6 do
      _ = step.(1 + 25 * k)
      :erlang.garbage_collect()
    end

    assert {:ok, ^terms_a} = Roster.frames_decode(block_a)

    # a block outlives its guild: made in a process that exits, the
    # guild freed with it
    base = settled_live()
    me = self()

    spawn(fn ->
      [_, q] = big_pair()
      :ok = big_step(q, 1)
      assert_received {:roster_frames, block}
      send(me, {:block, block})
    end)

    assert_receive {:block, block_b}, 10_000
    eventually(fn -> live() == base end)
    assert {:ok, ^terms_a} = Roster.frames_decode(block_b)
    assert :ok = Roster.close(g)
    assert :ok = Roster.close(h)
  end

  test "blocks small and large in turn, each large one larger than any before, stay whole" do
    [g, h] = big_pair()
    # sessions per batch: 1 or 2 make a block under 64 KiB (an ordinary
    # binary), 25 about 100 KiB (a pooled buffer), and 60 and 150 blocks
    # larger than any buffer in the guild's pool (a larger one replaces it)
    held =
      for {n, k} <- Enum.with_index([1, 25, 1, 60, 2, 150, 1, 25]) do
        first = 1000 * (k + 1)
        :ok = big_step(g, first, n)
        terms = frames()
        :ok = big_step(h, first, n)
        assert_received {:roster_frames, block}
        assert {:ok, ^terms} = Roster.frames_decode(block)
        assert byte_size(block) >= 65_536 == n >= 25
        {terms, block}
      end

    # every block, held all along, is as it was made
    for {terms, block} <- held, do: assert({:ok, ^terms} = Roster.frames_decode(block))
    assert :ok = Roster.close(g)
    assert :ok = Roster.close(h)
  end

  defp corrupt(block, k) do
    <<a::binary-size(k), x::little-32, rest::binary>> = block
    <<a::binary, Bitwise.bxor(x, 0xFFFF_FFFF)::little-32, rest::binary>>
  end

  test "snapshot: save and load give the same guild, sessions included" do
    g = subscribed_guild()
    assert {:ok, bytes} = Roster.save(g, true)
    assert {:ok, bare} = Roster.save(g, false)
    assert byte_size(bare) < byte_size(bytes)
    assert {:ok, h} = Roster.load(bytes, chunk_size: 10, max_range_span: 30)
    assert [] = frames()
    assert {:ok, rows} = Roster.list_rows(g, 0, 0, 100)
    assert {:ok, ^rows} = Roster.list_rows(h, 0, 0, 100)
    assert {:ok, 1} = Roster.session_count(h)
    # the same event gives the same frame, sent to the loaded guild's owner
    :ok = Roster.member_set_name(g, 1010, "aaa")
    [{:roster_frame, 0, [1], f}] = frames()
    :ok = Roster.member_set_name(h, 1010, "aaa")
    assert [{:roster_frame, 0, [1], ^f}] = frames()
    assert {:ok, h2} = Roster.load(bare)
    assert {:ok, 0} = Roster.session_count(h2)
    # damaged and truncated bytes
    <<head::binary-size(20), b, rest::binary>> = bytes
    assert {:error, :ecorrupt} = Roster.load(<<head::binary, Bitwise.bxor(b, 1), rest::binary>>)
    assert {:error, :ecorrupt} = Roster.load(binary_part(bytes, 0, div(byte_size(bytes), 2)))
    assert {:error, reason} = Roster.load(<<>>)
    assert reason in [:ecorrupt, :eversion]
    assert {:error, :elimit} = Roster.load(bytes, max_members: 10)
    assert {:error, :badarg} = Roster.load(~c"bytes")
    assert {:error, :badarg} = Roster.load(bytes, :config)
    assert {:error, :badarg} = Roster.save(g, :yes)
  end

  defp pieces_of(tag, acc \\ []) do
    receive do
      {:roster_snapshot, ^tag, piece} -> pieces_of(tag, [piece | acc])
    after
      0 -> Enum.reverse(acc)
    end
  end

  test "snapshot sent in pieces while it is saved: the bytes save/2 makes, in order" do
    g = subscribed_guild()
    {:ok, bytes_before} = Roster.save(g, true)

    for sessions <- [true, false] do
      {:ok, bytes} = Roster.save(g, sessions)

      for size <- [1, 7, 4096, byte_size(bytes), byte_size(bytes) + 1] do
        tag = make_ref()
        assert {:ok, total} = Roster.save_to(g, sessions, self(), tag, size)
        assert total == byte_size(bytes)
        pieces = pieces_of(tag)
        assert IO.iodata_to_binary(pieces) == bytes
        # every piece whole but the last
        assert Enum.all?(Enum.drop(pieces, -1), &(byte_size(&1) == size))
        assert length(pieces) == div(byte_size(bytes) + size - 1, size)
      end
    end

    # bad arguments: badarg, nothing sent
    dead = spawn(fn -> :ok end)
    ref = Process.monitor(dead)
    assert_receive {:DOWN, ^ref, _, _, _}

    for args <- [
          [g, :yes, self(), :t, 4096],
          [g, true, :not_a_pid, :t, 4096],
          [g, true, self(), :t, 0],
          [g, true, self(), :t, 64 * 1024 * 1024 + 1],
          [g, true, self(), :t, -1],
          [:not_a_guild, true, self(), :t, 4096]
        ] do
      assert {:error, :badarg} = apply(Roster, :save_to, args)
    end

    assert pieces_of(:t) == []
    # a receiver that is gone
    assert {:error, :noproc} = Roster.save_to(g, true, dead, :t, 4096)
    # the guild is as it was
    assert {:ok, ^bytes_before} = Roster.save(g, true)
    assert :ok = Roster.close(g)
  end

  test "snapshot: a guild whose snapshot outgrows the size the save starts from" do
    # The save starts from a binary of about 64 bytes per member; long
    # names and many roles per member make the snapshot several times
    # that, so the binary grows while the guild is written.
    {:ok, g} = Roster.new(max_roles_per_member: 64)
    roles = Enum.to_list(1..40)
    for r <- roles, do: :ok = Roster.role_upsert(g, r, r, [])

    members =
      for id <- 1..3000,
          do: {id, String.duplicate(<<?a + rem(id, 26)>>, 100), roles, :online}

    :ok = Roster.members_add(g, members)
    assert {:ok, bytes} = Roster.save(g, false)
    assert byte_size(bytes) > 65536 + 64 * 3000 * 4
    assert {:ok, h} = Roster.load(bytes, max_roles_per_member: 64)
    assert {:ok, 3000} = Roster.member_count(h)
    assert {:ok, rows} = Roster.list_rows(g, 0, 0, 4000)
    assert {:ok, ^rows} = Roster.list_rows(h, 0, 0, 4000)

    for id <- [1, 1500, 3000] do
      assert {:ok, m} = Roster.member_get(g, id)
      assert {:ok, ^m} = Roster.member_get(h, id)
      assert byte_size(m.name) == 100 and length(m.roles) == 40
    end

    assert {:ok, ^bytes} = Roster.save(h, false)
  end

  defp pieces(bytes, size) when byte_size(bytes) <= size, do: [bytes]

  defp pieces(bytes, size) do
    <<piece::binary-size(size), rest::binary>> = bytes
    [piece | pieces(rest, size)]
  end

  defp stream_load(pieces, config \\ []) do
    {:ok, l} = Roster.load_stream_open(config)
    for p <- pieces, do: :ok = Roster.load_stream_feed(l, p)
    Roster.load_stream_finish(l)
  end

  test "snapshot in pieces: loaded as they come, the same guild as load/2 makes" do
    g = subscribed_guild()
    {:ok, bytes} = Roster.save(g, true)
    {:ok, rows} = Roster.list_rows(g, 0, 0, 100)

    # pieces of every size from one byte to all of them, empty ones among them
    for size <- [1, 7, 100, 4096, byte_size(bytes)] do
      base = settled_live()
      ps = pieces(bytes, size) |> Enum.intersperse(<<>>)
      assert {:ok, h} = stream_load(ps, chunk_size: 10, max_range_span: 30)
      assert live() == base + 1
      assert {:ok, ^rows} = Roster.list_rows(h, 0, 0, 100)
      assert {:ok, 1} = Roster.session_count(h)
      assert {:ok, ^bytes} = Roster.save(h, true)
      # owned by the caller: its frames come here
      :ok = Roster.member_set_name(h, 1010, "aaa")
      assert [{:roster_frame, 0, [1], _}] = frames()
      :ok = Roster.close(h)
    end

    # fed from another process while this one waits in finish
    {:ok, l} = Roster.load_stream_open(chunk_size: 10, max_range_span: 30)

    feeder =
      Task.async(fn ->
        for p <- pieces(bytes, 64) do
          :ok = Roster.load_stream_feed(l, p)
          Process.sleep(0)
        end
      end)

    Task.await(feeder)
    assert {:ok, h} = Roster.load_stream_finish(l)
    assert {:ok, ^rows} = Roster.list_rows(h, 0, 0, 100)
    # finished: no more pieces, no second guild
    assert {:error, :einval} = Roster.load_stream_feed(l, "more")
    assert {:error, :einval} = Roster.load_stream_finish(l)

    # the errors load/2 gives for the same bytes
    half = binary_part(bytes, 0, div(byte_size(bytes), 2))
    assert {:error, :ecorrupt} = stream_load(pieces(half, 100))
    assert Roster.load(<<>>) == stream_load([])
    <<head::binary-size(20), b, rest::binary>> = bytes
    assert {:error, :ecorrupt} = stream_load([head, <<Bitwise.bxor(b, 1)>>, rest])
    assert {:error, :elimit} = stream_load(pieces(bytes, 50), max_members: 10)
    # pieces after a load that failed are taken and dropped
    {:ok, l} = Roster.load_stream_open(max_members: 10)
    for p <- pieces(bytes, 50), do: :ok = Roster.load_stream_feed(l, p)
    assert {:error, :elimit} = Roster.load_stream_finish(l)
    assert {:error, :badarg} = Roster.load_stream_open(:config)
    assert {:error, :badarg} = Roster.load_stream_feed(l, ~c"bytes")
    assert {:error, :badarg} = Roster.load_stream_finish(g)
  end

  test "snapshot in pieces: a loader dropped unfinished stops and frees what it loaded" do
    g = scenario_guild()
    {:ok, bytes} = Roster.save(g, true)
    base = settled_live()

    # the loader's process exits with the load waiting for more
    {pid, ref} =
      spawn_monitor(fn ->
        {:ok, l} = Roster.load_stream_open()
        :ok = Roster.load_stream_feed(l, binary_part(bytes, 0, div(byte_size(bytes), 2)))
      end)

    assert_receive {:DOWN, ^ref, :process, ^pid, :normal}

    # a loader whose load ended (complete bytes) but was never finished:
    # its guild is freed with it, never counted
    {pid, ref} =
      spawn_monitor(fn ->
        {:ok, l} = Roster.load_stream_open()
        :ok = Roster.load_stream_feed(l, bytes)
        Process.sleep(50)
      end)

    assert_receive {:DOWN, ^ref, :process, ^pid, :normal}, 5000
    :erlang.garbage_collect()
    assert live() == base
    # and the VM goes on: a full load still works
    assert {:ok, h} = stream_load(pieces(bytes, 1000))
    :ok = Roster.close(h)
  end

  @bad_terms [:garbage, -1, 2 ** 64, 1.5, {:a}, [1 | 2], "str", [:x, 1], %{a: 1}]

  test "bad terms in every argument of every call: {:error, :badarg}, the guild unchanged" do
    g = subscribed_guild()
    {:ok, before} = Roster.save(g, true)

    for {name, arity} <- Roster.NIF.functions(), arity > 0, bad <- [make_ref() | @bad_terms] do
      # the guild given, every other argument bad
      if name not in [:new, :load] do
        args = [g | List.duplicate(bad, arity - 1)]

        if arity > 1,
          do:
            assert({:error, :badarg} == apply(Roster.NIF, name, args), "#{name} #{inspect(bad)}")
      end

      # a bad guild (or a bad first argument)
      args = List.duplicate(bad, arity)
      assert {:error, :badarg} == apply(Roster.NIF, name, args), "#{name}(#{inspect(bad)}...)"
    end

    # ids over 2^64-1 or negative, wherever an id goes
    assert {:error, :badarg} = Roster.member_add(g, 2 ** 64, "x", [], :online)
    assert {:error, :badarg} = Roster.member_add(g, 5000, "x", [2 ** 64], :online)
    assert {:error, :badarg} = Roster.member_add(g, 5000, "x", [101 | 102], :online)
    assert {:error, :badarg} = Roster.member_add(g, 5000, ~c"x", [], :online)
    assert {:error, :badarg} = Roster.member_add(g, 5000, "x", [], :away)
    assert {:error, :badarg} = Roster.member_set_status(g, -1001, :online)
    assert {:error, :badarg} = Roster.members_add(g, [{5000, "x", [], :online}, {5001, "y", []}])
    assert {:error, :badarg} = Roster.members_add(g, [{5000, "x", [], :online} | :tail])
    assert {:error, :badarg} = Roster.member_add_role(g, 1001, -101)
    assert {:error, :badarg} = Roster.session_subscribe(g, 2 ** 64, 0, [{0, 9}])

    assert [] = frames()
    assert {:ok, ^before} = Roster.save(g, true)
  end

  # Good arguments for every call on a guild.
  defp valid_args(g) do
    %{
      close: [g],
      set_owner: [g, nil],
      set_frame_format: [g, :json],
      set_everyone_view: [g, true],
      set_offline_threshold: [g, 1],
      member_count: [g],
      session_count: [g],
      batch_begin: [g],
      batch_commit: [g],
      flush: [g],
      role_upsert: [g, 1, 1, []],
      role_remove: [g, 1],
      roles_reorder: [g, []],
      member_add: [g, 1, "a", [], :online],
      member_upsert: [g, 1, "a", [], :online],
      members_add: [g, []],
      member_remove: [g, 1],
      member_set_status: [g, 1, :online],
      member_set_name: [g, 1, "a"],
      member_set_sort_key: [g, 1, nil],
      member_set_roles: [g, 1, []],
      member_add_role: [g, 1, 1],
      member_remove_role: [g, 1, 1],
      member_touch: [g, 1],
      member_get: [g, 1],
      events_apply: [g, []],
      list_set: [g, 1, :none, [], []],
      list_remove: [g, 1],
      list_length: [g, 0],
      list_counts: [g, 0],
      list_groups: [g, 0],
      list_rows: [g, 0, 0, 1],
      list_index_of: [g, 0, 1],
      session_subscribe: [g, 1, 0, []],
      session_remove: [g, 1],
      session_ranges: [g, 1, 0],
      stats: [g],
      save: [g, true],
      save_to: [g, true, self(), :t, 65536]
    }
  end

  test "a closed guild: {:error, :closed} from every call, no crash" do
    {:ok, g} = Roster.new()
    calls = valid_args(g)
    # every call on a guild is here
    assert Enum.sort(Map.keys(calls)) ==
             Enum.sort(
               for {n, _} <- Roster.NIF.functions(),
                   n not in [
                     :new,
                     :load,
                     :load_stream_open,
                     :load_stream_feed,
                     :load_stream_finish,
                     :live_guilds,
                     :version,
                     :frames_decode,
                     :frames_decode_dirty
                   ],
                   do: n
             )

    assert :ok = Roster.close(g)

    for {name, args} <- calls do
      assert {:error, :closed} == apply(Roster.NIF, name, args), "#{name}"
    end
  end

  # The scenario guild with session 1 holding rows 0-9 of list 0, its
  # first frames taken.
  defp subscribed_guild do
    g = scenario_guild()
    :ok = Roster.session_subscribe(g, 1, 0, [{0, 9}])
    _ = frames()
    g
  end

  defp live do
    {:ok, n} = Roster.live_guilds()
    n
  end

  # The count once the guilds of earlier tests' processes are freed: a
  # process's monitors may fire before its heap (and the guilds it held)
  # is freed, so a count read at once can still drop.
  defp settled_live do
    n = live()
    Process.sleep(20)
    if live() == n, do: n, else: settled_live()
  end

  test "resource lifetime: close frees at once, garbage collection frees the unreferenced" do
    base = settled_live()
    {:ok, g} = Roster.new()
    assert live() == base + 1
    :ok = Roster.close(g)
    assert live() == base

    # a process that made guilds and exits: they are freed with it
    {pid, ref} =
      spawn_monitor(fn ->
        guilds = for _ <- 1..5, do: elem(Roster.new(), 1)
        send(self(), guilds)

        receive do
          :stop -> :ok
        end
      end)

    eventually(fn -> live() == base + 5 end)
    send(pid, :stop)
    assert_receive {:DOWN, ^ref, :process, ^pid, :normal}
    eventually(fn -> live() == base end)

    # in this process: a guild no term refers to any more, then a GC
    make_and_drop = fn ->
      {:ok, g} = Roster.new()
      {:ok, _} = Roster.save(g)
      :ok
    end

    make_and_drop.()

    eventually(fn ->
      :erlang.garbage_collect()
      live() == base
    end)

    # a loaded guild counts too
    {:ok, g} = Roster.new()
    {:ok, bytes} = Roster.save(g)
    {:ok, h} = Roster.load(bytes)
    assert live() == base + 2
    :ok = Roster.close(h)
    :ok = Roster.close(g)
    assert live() == base
  end

  test "one guild used from many processes at once" do
    {:ok, g} = Roster.new()
    :ok = Roster.role_upsert(g, 1, 1, [:hoist])

    1..8
    |> Task.async_stream(
      fn t ->
        for i <- 1..200 do
          id = t * 1000 + i
          :ok = Roster.member_add(g, id, "m#{id}", [1], :online)
          {:ok, _} = Roster.events_apply(g, [{:status, id, :idle}, {:name, id, "n#{id}"}])
          {:ok, _} = Roster.list_rows(g, 0, 0, 20)
        end
      end,
      max_concurrency: 8
    )
    |> Stream.run()

    assert {:ok, 1600} = Roster.member_count(g)
    assert {:ok, %{status: :idle, name: "n3007"}} = Roster.member_get(g, 3007)
  end
end
