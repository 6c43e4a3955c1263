defmodule Roster.GuildTest do
  use ExUnit.Case, async: true
  import Roster.TestHelper
  alias Roster.Guild

  defp start_guild(opts \\ []) do
    {:ok, pid} =
      Guild.start_link(Keyword.merge([config: [chunk_size: 10, max_range_span: 30]], opts))

    for {id, pos} <- [{101, 3}, {102, 2}, {103, 1}] do
      :ok = Guild.run(pid, &Roster.role_upsert(&1, id, pos, [:hoist]))
    end

    Guild.events(
      pid,
      for(
        i <- 1..50,
        do: {:add, 1000 + i, "m#{i + 10}", [Enum.at([101, 102, 103], rem(i, 3))], :online}
      )
    )

    pid
  end

  # A process that subscribes sessions and collects their frames.
  defp client(guild, subs) do
    parent = self()

    spawn_link(fn ->
      for {s, l, r} <- subs, do: :ok = Guild.subscribe(guild, s, l, r)
      send(parent, {:subscribed, self()})
      collect([])
    end)
    |> tap(fn pid -> assert_receive {:subscribed, ^pid}, 5000 end)
  end

  defp collect(acc) do
    receive do
      {:roster_frame, _, _, _} = f ->
        collect([f | acc])

      {:give, to} ->
        send(to, {:frames, self(), Enum.reverse(acc)})
        collect([])

      :stop ->
        :ok
    end
  end

  defp frames_of(pid) do
    send(pid, {:give, self()})
    assert_receive {:frames, ^pid, frames}, 5000
    frames
  end

  test "frame_format :queue: the sessions' processes get the frames :terms sends" do
    t = start_guild()
    q = start_guild(frame_format: :queue)
    subs = [{1, 0, [{0, 9}]}, {2, 0, [{0, 9}]}, {3, 0, [{20, 29}]}]
    a = client(t, subs)
    b = client(q, subs)

    events = [
      {:status, 1003, :offline},
      {:name, 1010, "aaa"},
      {:roles, 1020, [101, 103]},
      {:remove, 1030}
    ]

    for e <- events, g <- [t, q], do: Guild.event(g, e)
    for g <- [t, q], do: {:ok, _} = Guild.stats(g)
    frames = frames_of(a)
    assert length(frames) > 3
    assert frames_of(b) == frames
  end

  test "frames reach the pids of their sessions, and only those" do
    g = start_guild()
    a = client(g, [{1, 0, [{0, 9}]}, {2, 0, [{0, 9}]}])
    b = client(g, [{3, 0, [{0, 9}]}, {4, 0, [{40, 49}]}])

    assert [{:roster_frame, 0, [1], %{ops: [{:sync, 0, 9, _}]}}, {:roster_frame, 0, [2], _}] =
             frames_of(a)

    assert [{:roster_frame, 0, [3], _}, {:roster_frame, 0, [4], _}] = frames_of(b)

    # member 1003 (group 101, first) goes offline: rows 0-9 change for all
    # three sessions sharing them; rows 40-49 too (offline section)
    Guild.event(g, {:status, 1003, :offline})
    assert {:ok, _} = Guild.stats(g)
    assert [{:roster_frame, 0, s, f}] = frames_of(a)
    assert Enum.sort(s) == [1, 2]
    assert [{:roster_frame, 0, [3], ^f}, {:roster_frame, 0, [4], _}] = frames_of(b)
    assert %{sessions: %{1 => ^a, 2 => ^a, 3 => ^b, 4 => ^b}} = %{sessions: Guild.sessions(g)}
  end

  test "a subscriber that dies gets its sessions removed" do
    g = start_guild()
    a = client(g, [{1, 0, [{0, 9}]}, {2, 0, [{10, 19}]}])
    b = client(g, [{3, 0, [{0, 9}]}])
    assert {:ok, 3} = Guild.run(g, &Roster.session_count/1)
    ref = Process.monitor(a)
    Process.unlink(a)
    Process.exit(a, :kill)
    assert_receive {:DOWN, ^ref, :process, ^a, :killed}
    eventually(fn -> Guild.run(g, &Roster.session_count/1) == {:ok, 1} end)
    assert Guild.sessions(g) == %{3 => b}
    assert {:error, :enotfound} = Guild.run(g, &Roster.session_ranges(&1, 1, 0))
    # the survivor still gets its frames
    _ = frames_of(b)
    Guild.event(g, {:name, 1003, "aaaa"})
    assert {:ok, _} = Guild.stats(g)
    assert [{:roster_frame, 0, [3], _}] = frames_of(b)
  end

  test "unsubscribe and remove_session" do
    g = start_guild()
    a = client(g, [{1, 0, [{0, 9}]}])
    _ = frames_of(a)
    assert :ok = Guild.unsubscribe(g, 1, 0)
    assert [{:roster_frame, 0, [1], %{ops: [{:invalidate, 0, 9}]}}] = frames_of(a)
    assert :ok = Guild.remove_session(g, 1)
    assert Guild.sessions(g) == %{}
    assert {:error, :enotfound} = Guild.remove_session(g, 1)
    assert {:error, :enotfound} = Guild.subscribe(g, 5, 99, [{0, 9}])
    assert Guild.sessions(g) == %{}
    assert {:error, :badarg} = Guild.subscribe(g, 5, 0, [{0, -1}])
  end

  test "events that arrive together are applied in one call, one frame per session" do
    g = start_guild()
    a = client(g, [{1, 0, [{0, 29}]}])
    _ = frames_of(a)
    {:ok, %{batches: b0, events: e0}} = Guild.stats(g)
    :ok = :sys.suspend(g)
    for i <- 1..40, do: Guild.event(g, {:status, 1000 + i, :idle})
    :ok = :sys.resume(g)
    assert {:ok, %{batches: b1, events: e1}} = Guild.stats(g)
    assert e1 - e0 == 40
    assert b1 - b0 == 1
    assert [{:roster_frame, 0, [1], _}] = frames_of(a)
    assert {:ok, %{status: :idle}} = Guild.run(g, &Roster.member_get(&1, 1040))
  end

  test "a malformed event in a batch is dropped alone" do
    g = start_guild()
    a = client(g, [{1, 0, [{0, 29}]}])
    _ = frames_of(a)
    :ok = :sys.suspend(g)
    Guild.event(g, {:name, 1001, "good1"})
    Guild.event(g, {:name, 1002, :not_a_binary})
    Guild.event(g, {:status, -5, :online})
    Guild.event(g, {:name, 1003, "good2"})
    :ok = :sys.resume(g)
    assert {:ok, %{name: "good1"}} = Guild.run(g, &Roster.member_get(&1, 1001))
    assert {:ok, %{name: "good2"}} = Guild.run(g, &Roster.member_get(&1, 1003))
    assert {:ok, %{name: "m12"}} = Guild.run(g, &Roster.member_get(&1, 1002))
    assert {:ok, %{events: 54, batches: 2}} = Guild.stats(g)
    # one flush for the batch: one frame for the session
    assert [{:roster_frame, 0, [1], _}] = frames_of(a)
  end

  test "a call queued between events is not overtaken" do
    g = start_guild()
    assert {:ok, _} = Guild.stats(g)
    :ok = :sys.suspend(g)
    Guild.event(g, {:name, 1001, "first"})
    task = Task.async(fn -> Guild.run(g, &Roster.member_get(&1, 1001)) end)
    eventually(fn -> Process.info(g, :message_queue_len) == {:message_queue_len, 2} end)
    Guild.event(g, {:name, 1001, "second"})
    :ok = :sys.resume(g)
    assert {:ok, %{name: "first"}} = Task.await(task)
    assert {:ok, %{name: "second"}} = Guild.run(g, &Roster.member_get(&1, 1001))
  end

  test "after a move, the events that queued in the old process go on in one batch, a call among them in its place" do
    g = start_guild(log: self())
    assert {:ok, _} = Guild.stats(g)
    flush_applied()
    assert {:ok, new} = GenServer.call(g, {:guild, {:hand_off, node()}})
    assert new != g
    :ok = :sys.suspend(g)
    for i <- 1..3, do: Guild.event(g, {:name, 1001, "n#{i}"})
    task = Task.async(fn -> Guild.run(g, &Roster.member_get(&1, 1001)) end)
    eventually(fn -> Process.info(g, :message_queue_len) == {:message_queue_len, 4} end)
    for i <- 4..5, do: Guild.event(g, {:name, 1001, "n#{i}"})
    :ok = :sys.resume(g)
    # the call sees the three events before it and not the two after
    assert {:ok, %{name: "n3"}} = Task.await(task)
    assert {:ok, %{name: "n5"}} = Guild.run(g, &Roster.member_get(&1, 1001))
    # the new process applied them in two batches: 3 events, then 2
    assert_receive {:roster_applied, _, [_, _, _], _}
    assert_receive {:roster_applied, _, [_, _], _}
    refute_received {:roster_applied, _, _, _}
  end

  defp flush_applied do
    receive do
      {:roster_applied, _, _, _} -> flush_applied()
    after
      0 -> :ok
    end
  end

  test "a guild started from a snapshot" do
    g = start_guild()
    a = client(g, [{1, 0, [{0, 9}]}])
    _ = frames_of(a)
    {:ok, bytes} = Guild.save(g)
    {:ok, h} = Guild.start_link(snapshot: bytes, config: [chunk_size: 10, max_range_span: 30])
    assert {:ok, 50} = Guild.run(h, &Roster.member_count/1)
    assert {:ok, 1} = Guild.run(h, &Roster.session_count/1)
    # the session is bound to its pid again: incremental ops, no SYNC
    :ok = Guild.subscribe(h, 1, 0, [{0, 9}], a)
    Guild.event(h, {:name, 1003, "aaaa"})
    assert {:ok, _} = Guild.stats(h)
    assert [{:roster_frame, 0, [1], %{ops: ops}}] = frames_of(a)
    refute Enum.any?(ops, &match?({:sync, _, _, _}, &1))
    # a damaged snapshot: the server does not start
    Process.flag(:trap_exit, true)
    assert {:error, :ecorrupt} = Guild.start_link(snapshot: "nope")
  end
end
