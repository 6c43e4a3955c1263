defmodule Roster.ClusterTest do
  # Hand-offs between processes through Roster.Cluster, on this node (the
  # same code path as between nodes: the new process is started by :erpc).
  use ExUnit.Case, async: false
  # its own meson test (cluster_elixir): run.sh --test-cluster
  @moduletag :cluster
  import Roster.TestHelper
  alias Roster.{Cluster, Guild}

  setup_all do
    :ok = Cluster.start()
    Application.put_env(:roster, :retire_after, 10_000)
    :ok
  end

  test "rendezvous placement: stable, spread, and only a leaving node's guilds move" do
    nodes = [:a@h, :b@h, :c@h]
    placed = Map.new(1..3000, fn id -> {id, Cluster.place(id, nodes)} end)
    assert Cluster.place(17, nodes) == Cluster.place(17, Enum.reverse(nodes))

    for n <- nodes do
      share = Enum.count(placed, fn {_, m} -> m == n end)
      assert share > 800 and share < 1200, "#{n}: #{share}"
    end

    for {id, n} <- placed do
      m = Cluster.place(id, nodes -- [:b@h])
      if n != :b@h, do: assert(m == n)
    end
  end

  # A client process: holds a replica of each of its sessions' rows.
  defp client(parent) do
    spawn_link(fn -> client_loop(parent, %{}, [], %{}) end)
  end

  # reps: {session, list} => rows; seen: the frames since the last :mark,
  # newest first, as {session, list, frame}; base: reps at the last :mark
  defp client_loop(parent, reps, seen, base) do
    receive do
      {:roster_frame, list, sessions, f} ->
        reps =
          Enum.reduce(sessions, reps, fn s, a ->
            Map.update(a, {s, list}, apply_frame(%{}, f), &apply_frame(&1, f))
          end)

        seen = Enum.reduce(sessions, seen, fn s, acc -> [{s, list, f} | acc] end)
        client_loop(parent, reps, seen, base)

      :mark ->
        client_loop(parent, reps, [], reps)

      {:give, to} ->
        send(to, {:replicas, self(), reps, Enum.reverse(seen)})
        client_loop(parent, reps, seen, base)

      {:base, to} ->
        send(to, {:base, self(), base})
        client_loop(parent, reps, seen, base)
    end
  end

  defp base_replicas(pid) do
    send(pid, {:base, self()})
    assert_receive {:base, ^pid, base}, 5000
    base
  end

  defp replicas(pid) do
    send(pid, {:give, self()})
    assert_receive {:replicas, ^pid, reps, seen}, 5000
    {reps, seen}
  end

  # The frames per session, in order.
  defp per_session(seen),
    do: Enum.group_by(seen, fn {s, _, _} -> s end, fn {_, l, f} -> {l, f} end)

  # A process sending events to wherever the guild is, until told to stop;
  # it answers with the number it sent.
  defp sender(id, seed) do
    spawn_link(fn ->
      :rand.seed(:exsss, seed)
      send_loop(id, 0)
    end)
  end

  defp send_loop(id, n) do
    receive do
      {:stop, to} -> send(to, {:sent, self(), n})
    after
      0 ->
        user = 1000 + :rand.uniform(50)

        event =
          case :rand.uniform(4) do
            1 -> {:status, user, Enum.random([:online, :idle, :dnd, :offline])}
            2 -> {:name, user, "n#{:rand.uniform(999)}"}
            3 -> {:roles, user, Enum.take_random([101, 102, 103], :rand.uniform(3) - 1)}
            4 -> {:touch, user}
          end

        :ok = Cluster.events(id, [event])
        if rem(n, 50) == 0, do: Process.sleep(1)
        send_loop(id, n + 1)
    end
  end

  test "a guild's process on a node that went down is not taken for the guild" do
    # :pg drops a dead node's members when its own nodedown arrives, which
    # may be after the watcher's: the watcher must not see the dead
    # node's process as the guild still running (CI once waited in vain
    # for the restart in "a node that dies").
    ghost =
      :erlang.binary_to_term(
        <<131, 88, 100, 0, 15, "ghost@127.0.0.1"::binary, 0::32, 0::32, 1::32>>
      )

    assert node(ghost) == :"ghost@127.0.0.1"
    assert Cluster.pick([ghost], node(ghost)) == nil
    assert Cluster.pick([ghost, self()], node(ghost)) == self()
    assert Cluster.pick([ghost], nil) == ghost
    assert Cluster.pick([], nil) == nil
    assert Cluster.pick([ghost, self()], nil) == self()
  end

  test "a hand-off that cannot happen leaves the guild where it was, working" do
    id = {:failed_handoff, 1}

    {:ok, pid} =
      Cluster.start_guild(id, config: [chunk_size: 10, max_range_span: 30], node: node())

    :ok = Guild.call(pid, :role_upsert, [101, 1, [:hoist]])
    for i <- 1..20, do: Guild.event(pid, {:add, 1000 + i, "m#{i}", [101], :online})
    :ok = Guild.subscribe(pid, 1, 0, [{0, 9}], self())
    assert_receive {:roster_frame, 0, [1], %{ops: [{:sync, _, _, _}]}}, 5000
    # a node that is not there (nothing listens on port 1): the new
    # process never starts
    assert {:error, _} = Cluster.handoff(id, :"roster_1@127.0.0.1")
    assert Cluster.whereis(id) == pid
    Guild.event(pid, {:name, 1001, "aaa"})
    assert {:ok, %{events: 21}} = Guild.stats(pid)
    assert_receive {:roster_frame, 0, [1], %{ops: ops}}, 5000
    refute Enum.any?(ops, &match?({:sync, _, _, _}, &1))
    # and a hand-off that can happen still does
    assert {:ok, new} = Cluster.handoff(id, node())
    assert new != pid
    eventually(fn -> Cluster.whereis(id) == new end, 1000)
    assert {:ok, 20} = Guild.run(new, &Roster.member_count/1)
  end

  test "the receiving end of a hand-off: a sender that dies mid-snapshot, a whole one" do
    {:ok, g} = Guild.start_link(config: [chunk_size: 10, max_range_span: 30])
    for i <- 1..300, do: Guild.event(g, {:add, 1000 + i, "member #{i}", [], :online})
    {:ok, bytes} = Guild.save(g)
    assert byte_size(bytes) > 2000
    pieces = for <<p::binary-size(100) <- bytes>>, do: p
    tail = binary_part(bytes, 100 * length(pieces), byte_size(bytes) - 100 * length(pieces))

    # A sender as a hand-off's old process is: it waits for the new
    # process's pid, then sends the pieces (and the end, when `last`).
    start = fn pieces, last ->
      tag = make_ref()

      sender =
        spawn(fn ->
          receive do
            {:roster_snapshot_ready, ^tag, pid} ->
              for p <- pieces, do: send(pid, {:roster_snapshot, tag, p})
              if last, do: send(pid, {:roster_snapshot_end, tag})
          end
        end)

      GenServer.start(Guild, snapshot_from: {sender, tag}, config: [chunk_size: 10])
    end

    # ten pieces, then the sender is gone: the new process does not start
    assert {:error, {:sender_down, _}} = start.(Enum.take(pieces, 10), false)
    # every piece and the end, but cut short: the bytes are not a snapshot
    assert {:error, :ecorrupt} = start.(Enum.take(pieces, 10), true)
    # the whole snapshot in pieces: the same guild
    assert {:ok, h} = start.(pieces ++ [tail], true)
    assert {:ok, 300} = Guild.run(h, &Roster.member_count/1)
    assert {:ok, ^bytes} = Guild.save(h)
  end

  test "hand-offs under a flow of events: no event lost or doubled, no SYNC, replicas true" do
    handoffs({:one_node, 1}, [node()])
  end

  @tag :distributed
  test "hand-offs between three nodes on loopback" do
    base = free_base()

    unless Node.alive?() do
      {:ok, _} = :net_kernel.start([:"roster_#{base}@127.0.0.1", :longnames])
    end

    flags =
      [
        ~c"-epmd_module",
        ~c"Elixir.Roster.Cluster.Epmd",
        ~c"-start_epmd",
        ~c"false",
        ~c"-setcookie",
        Atom.to_charlist(:erlang.get_cookie())
      ] ++
        Enum.flat_map(:code.get_path(), &[~c"-pa", &1])

    peers =
      for k <- 1..2 do
        {:ok, peer, name} =
          :peer.start_link(%{
            name: ~c"roster_#{base + k}",
            host: ~c"127.0.0.1",
            longnames: true,
            args: flags
          })

        :ok = :erpc.call(name, Roster.Cluster, :start, [])
        on_exit(fn -> stop_peer(peer) end)
        {peer, name}
      end

    nodes = [node() | Enum.map(peers, &elem(&1, 1))]
    # the :pg scope sees the peers' members
    for n <- nodes, do: assert(:erpc.call(n, Node, :list, []) |> length() >= 1)
    id = Enum.find(1..1000, &(Cluster.place({:three_nodes, &1}, nodes) == Enum.at(nodes, 1)))
    pids = handoffs({:three_nodes, id}, nodes)
    assert Enum.map(pids, &node/1) |> Enum.uniq() |> Enum.sort() == Enum.sort(nodes)
  end

  @tag :distributed
  test "a node that dies: its guild restarts on a survivor from snapshot and log, nothing acknowledged lost" do
    base = free_base()

    unless Node.alive?() do
      {:ok, _} = :net_kernel.start([:"roster_#{base}@127.0.0.1", :longnames])
    end

    flags =
      [
        ~c"-epmd_module",
        ~c"Elixir.Roster.Cluster.Epmd",
        ~c"-start_epmd",
        ~c"false",
        ~c"-setcookie",
        Atom.to_charlist(:erlang.get_cookie()),
        ~c"-kernel",
        ~c"prevent_overlapping_partitions",
        ~c"false"
      ] ++ Enum.flat_map(:code.get_path(), &[~c"-pa", &1])

    store_name = :"roster_store_#{base}"
    {:ok, _} = Roster.Cluster.Store.start(store_name)
    store = {store_name, node()}
    config = [chunk_size: 10, max_range_span: 30]

    # not linked: the test kills one of them
    peers =
      for k <- 1..2 do
        {:ok, peer, name} =
          :peer.start(%{
            name: ~c"roster_#{base + k}",
            host: ~c"127.0.0.1",
            longnames: true,
            args: flags
          })

        :ok = :erpc.call(name, Roster.Cluster, :start, [])
        {:ok, w} = :erpc.call(name, Roster.Cluster, :watch, [store, [config: config]])
        assert :erpc.call(name, Process, :whereis, [:roster_cluster_watcher]) == w
        on_exit(fn -> stop_peer(peer) end)
        {peer, name}
      end

    # watch/2 returns once the watcher is registered and sees nodes go
    # down (a node lost before then was missed: the guild never came
    # back); a second watcher on a node is refused
    {:ok, watcher} = Cluster.watch(store, config: config)
    assert Process.whereis(:roster_cluster_watcher) == watcher
    assert {:error, {:already_started, ^watcher}} = Cluster.watch(store, config: config)
    assert Process.whereis(:roster_cluster_watcher) == watcher
    [{_, doomed}, _] = peers
    nodes = [node() | Enum.map(peers, &elem(&1, 1))]
    id = Enum.find(1..1000, &(Cluster.place({:dies, &1}, nodes) == doomed))
    id = {:dies, id}

    {:ok, g} =
      Cluster.start_guild(id, config: config, node: doomed, store: store, snapshot_every: 4)

    assert node(g) == doomed

    for {r, p} <- [{101, 3}, {102, 2}, {103, 1}],
        do: :ok = Guild.call(g, :role_upsert, [r, p, [:hoist]])

    # roles are not member events: each call through Guild.call is
    # followed by a snapshot
    {:ok, reference} = Roster.new(config)

    for {r, p} <- [{101, 3}, {102, 2}, {103, 1}],
        do: :ok = Roster.role_upsert(reference, r, p, [:hoist])

    adds =
      for i <- 1..50,
          do: {:add, 1000 + i, "m#{i}", [Enum.at([101, 102, 103], rem(i, 3))], :online}

    :ok = Cluster.events_sync(id, adds)
    {:ok, _} = Roster.events_apply(reference, adds)
    a = client(self())
    :ok = Guild.subscribe(g, 1, 0, [{0, 19}], a)
    :ok = Guild.subscribe(g, 2, 0, [{30, 39}], a)
    :rand.seed(:exsss, {7, 8, 9})

    # 10 acknowledged batches: two snapshots were taken (after 4 and 8),
    # the last batches are only in the log
    for _ <- 1..10 do
      batch =
        for _ <- 1..5 do
          user = 1000 + :rand.uniform(50)

          Enum.random([
            {:status, user, :idle},
            {:name, user, "x#{:rand.uniform(99)}"},
            {:roles, user, [102]}
          ])
        end

      :ok = Cluster.events_sync(id, batch)
      {:ok, _} = Roster.events_apply(reference, batch)
    end

    # kill the node: at once, without flushing its output first (halt/0
    # waits for its ports to flush); the two waits fail on different lines,
    # the node that did not go and the guild that did not come back
    :erpc.cast(doomed, :erlang, :halt, [0, [flush: false]])
    eventually(fn -> doomed not in Node.list() end, 1000)
    eventually(fn -> (pid = Cluster.whereis(id)) != nil and node(pid) != doomed end, 1000)
    h = Cluster.whereis(id)
    assert node(h) != doomed

    # every acknowledged event is there
    assert Guild.call(h, :list_rows, [0, 0, 200]) == Roster.list_rows(reference, 0, 0, 200)

    for u <- 1001..1050 do
      {:ok, m} = Roster.member_get(reference, u)
      assert {:ok, ^m} = Guild.call(h, :member_get, [u])
    end

    # the sessions subscribed again: their replicas hold the true rows
    eventually(fn ->
      {reps, _} = replicas(a)
      Map.has_key?(reps, {1, 0}) and Map.has_key?(reps, {2, 0})
    end)

    Process.sleep(50)
    {reps, _} = replicas(a)
    guild = local_copy(h)
    assert_replica(guild, reps[{1, 0}], 1, 0)
    assert_replica(guild, reps[{2, 0}], 2, 0)
    assert Guild.sessions(h) == %{1 => a, 2 => a}
    # and the guild goes on
    :ok = Cluster.events_sync(id, [{:status, 1001, :dnd}])
    assert {:ok, %{status: :dnd}} = Guild.call(h, :member_get, [1001])
  end

  # The first of three consecutive ports that nothing listens on: a node's
  # name carries its port (Roster.Cluster.Epmd), and a random pick can
  # land on a port in use, which fails the node's start.
  defp free_base do
    base = 20_000 + :rand.uniform(30_000)
    socks = for p <- base..(base + 2), do: :gen_tcp.listen(p, [])
    for {:ok, s} <- socks, do: :gen_tcp.close(s)
    if Enum.all?(socks, &match?({:ok, _}, &1)), do: base, else: free_base()
  end

  defp stop_peer(peer) do
    :peer.stop(peer)
  catch
    # already gone with its node
    :exit, _ -> :ok
  end

  # The guild of a process on any node, as a guild of this one (a NIF
  # resource cannot leave its node: its snapshot can).
  defp local_copy(server) do
    {:ok, bytes} = Guild.save(server)
    {:ok, copy} = Roster.load(bytes, chunk_size: 10, max_range_span: 30)
    copy
  end

  # A guild started where placement puts it, moved 15 times round the
  # nodes while two processes send it events; checks everything, returns
  # the processes it was moved to.
  defp handoffs(id, nodes) do
    {:ok, first} =
      Cluster.start_guild(id, config: [chunk_size: 10, max_range_span: 30], node: hd(nodes))

    assert Cluster.whereis(id) == first

    for {r, p} <- [{101, 3}, {102, 2}, {103, 1}] do
      :ok = Guild.call(first, :role_upsert, [r, p, [:hoist]])
    end

    for i <- 1..50 do
      Guild.event(
        first,
        {:add, 1000 + i, "m#{i}", [Enum.at([101, 102, 103], rem(i, 3))], :online}
      )
    end

    :ok = Guild.call(first, :list_set, [7, :deny, [{101, :allow}]])
    a = client(self())
    b = client(self())
    subs = [{1, 0, [{0, 9}], a}, {2, 0, [{20, 39}], a}, {3, 7, [{0, 19}], b}, {4, 0, [{0, 9}], b}]
    for {s, l, r, pid} <- subs, do: :ok = Guild.subscribe(first, s, l, r, pid)
    # From here on, a guild that never moves gets the same batches in the
    # same order (the log of what the moving one applied): every session
    # must get the same frames from both.
    {:ok, bytes} = Guild.save(first)
    {:ok, reference} = Roster.load(bytes, chunk_size: 10, max_range_span: 30)
    _ = Guild.sessions(first)
    send(a, :mark)
    send(b, :mark)
    # after each flush the guild sends the rows these sessions hold
    views = for {s, l, _, _} <- subs, do: {s, l}
    :ok = GenServer.call(first, {:guild, {:log, self(), views}})
    {:ok, %{events: before}} = Guild.stats(first)

    senders = for k <- 1..2, do: sender(id, {k, 2, 3})

    pids =
      for k <- 1..15 do
        Process.sleep(5)
        {:ok, pid} = Cluster.handoff(id, Enum.at(nodes, rem(k, length(nodes))))
        # :pg tells the other nodes asynchronously (slow on a busy machine)
        eventually(fn -> Cluster.whereis(id) == pid end, 1000)
        pid
      end

    sent =
      for s <- senders do
        send(s, {:stop, self()})
        assert_receive {:sent, ^s, n}, 10_000
        n
      end
      |> Enum.sum()

    # every event sent, through however many forwarders, applied once
    last = List.last(pids)
    eventually(fn -> match?({:ok, %{events: e}} when e == before + sent, Guild.stats(last)) end)
    assert length(Enum.uniq(pids)) == 15
    assert Map.new(subs, fn {s, _, _, pid} -> {s, pid} end) == Guild.sessions(last)

    # each session's replica holds the guild's true rows
    {ra, seen_a} = replicas(a)
    {rb, seen_b} = replicas(b)
    base = Map.merge(base_replicas(a), base_replicas(b))
    g = local_copy(last)

    for {s, l, _, pid} <- subs do
      reps = if pid == a, do: ra, else: rb
      assert_replica(g, Map.get(reps, {s, l}, %{}), s, l)
    end

    # the same frames as the guild that never moved: no SYNC re-sent
    # because of a hand-off, nothing lost or doubled
    applied = applied_batches([])
    assert Enum.sum(Enum.map(applied, fn {batch, _} -> length(batch) end)) == sent

    # After every flush of the moving guild (every batch it applied, on
    # whichever node): each session's frames of that flush, which the guild
    # that never moved tells apart, applied to its replica, give the rows
    # the moving guild had right then.
    received = per_session(seen_a ++ seen_b)

    {ref_frames, left, _, checks} =
      Enum.reduce(applied, {[], received, base, 0}, fn {batch, rows}, {acc, left, reps, n} ->
        {:ok, _} = Roster.events_apply(reference, batch)
        fresh = for {:roster_frame, l, ss, f} <- frames(), s <- ss, do: {s, l, f}
        by_session = per_session(fresh)

        {left, reps, n} =
          Enum.reduce(subs, {left, reps, n}, fn {s, l, _, _}, {left, reps, n} ->
            want = Map.get(by_session, s, [])
            {got, rest} = Enum.split(Map.get(left, s, []), length(want))
            assert got == want

            rep =
              Enum.reduce(got, Map.get(reps, {s, l}, %{}), fn {^l, f}, r -> apply_frame(r, f) end)

            {ranges, true_rows} = Map.fetch!(rows, {s, l})

            held =
              Map.filter(rep, fn {k, _} ->
                Enum.any?(ranges, fn {a, b} -> k >= a and k <= b end)
              end)

            assert held == true_rows, "session #{s}, batch #{length(acc) + 1}"
            {Map.put(left, s, rest), Map.put(reps, {s, l}, rep), n + 1}
          end)

        {[fresh | acc], left, reps, n}
      end)

    ref_frames = ref_frames |> Enum.reverse() |> Enum.concat()

    # no frame more than the guild that never moved sent
    assert Enum.all?(left, fn {_, rest} -> rest == [] end)
    assert per_session(seen_a ++ seen_b) == per_session(ref_frames)
    assert length(ref_frames) > 0
    assert checks == length(applied) * length(subs) and length(applied) > 15
    pids
  end

  # The batches the guild applied, in the order it applied them.
  defp applied_batches(acc) do
    receive do
      {:roster_applied, n, events, rows} -> applied_batches([{n, {events, rows}} | acc])
    after
      0 -> acc |> Enum.sort_by(&elem(&1, 0)) |> Enum.map(&elem(&1, 1))
    end
  end
end
