# The BEAM host's figures (README.md, "Figures"): run by
# `run.sh BUILD_ROOT NIF_PATH --bench [options]`.
#
#   w2        W2 through Roster.events_apply against roster-bench's C harness,
#             alternating round by round in this run, on the same workload:
#             roster-bench writes it (`w2 --dump FILE`) and this script
#             replays the file (same roles, members, sessions, events, batches).
#             Each batch's terms are made just before its call, outside the
#             timed call, as the C harness draws each batch just before its
#             call; the queue mode also runs with every batch made up front
#             (cold by its turn: "queue_cold").
#   decode    the NIF's reading of event terms alone: each W2 batch (first
#             --w2 size) through events_apply on a closed guild, which reads
#             and checks every event, then answers {:error, :closed}; and
#             the same call with no events (the dirty call's own cost).
#   calls     one member add and one status change per NIF call, per size.
#   handoff   Roster.Guild moved to a :peer node on loopback and back, with
#             events sent during each move.
#   w1        pb_ds's move at 1M (roster-bench w1), the machine's reference,
#             before and after.
#   sched     long_schedule and long_gc over 10 ms (erlang:system_monitor)
#             while a Roster.Guild loads 1M members, its sessions subscribe
#             and W2 runs through it (its frames forwarded to the sessions'
#             processes).
#
# Options (defaults are the full figures; the smoke test passes tiny ones):
#   --c-bench PATH            roster-bench (required)
#   --work DIR                where the workload files are written (required)
#   --w2 M:S,M:S              W2 sizes, members:sessions  (100000:1000,1000000:10000)
#   --events N --flush-every N --rounds N       (200000, 1000, 5)
#   --calls N1,N2             call sizes (5000,50000,250000,1000000)
#   --call-sessions N --call-count N            (1000, 20000)
#   --handoff M:S,M:S         hand-off sizes (100000:1000,1000000:10000)
#   --handoffs N              moves per size (6)
#   --handoff-events N        events sent during each move (1000)
#   --w1-n N                  pb_ds reference size, 0: none (1000000)
#   --sched M:S               the long_schedule run's size (1000000:10000)
#   --only w2,decode,calls,handoff,sched   sections

defmodule Bench.Dump do
  # The file of roster-bench w2 --dump (tests/bench/w2.cpp says the layout).
  import Bitwise
  @statuses {:offline, :online, :idle, :dnd}

  def read(path) do
    <<"RW2D", 1::little-32, members::little-64, sessions::little-64, events::little-64,
      flush_every::little-64, seed::little-64, role_count::little-32,
      rest::binary>> = File.read!(path)

    {roles, rest} = roles(rest, role_count, [])
    {ms, rest} = members(rest, members, [])
    {ss, rest} = sessions(rest, sessions, [])
    {evs, <<>>} = events(rest, events, [])

    %{
      members: ms,
      sessions: ss,
      events: evs,
      roles: roles,
      flush_every: flush_every,
      seed: seed
    }
  end

  defp roles(rest, 0, acc), do: {Enum.reverse(acc), rest}

  defp roles(<<id::little-64, pos::little-signed-32, flags::little-32, rest::binary>>, n, acc) do
    f = for {bit, name} <- [{1, :hoist}, {2, :view}, {4, :admin}], (flags &&& bit) != 0, do: name
    roles(rest, n - 1, [{id, pos, f} | acc])
  end

  defp members(rest, 0, acc), do: {Enum.reverse(acc), rest}

  defp members(bin, n, acc) do
    {{id, status, roles, name}, rest} = member(bin)
    members(rest, n - 1, [{id, name, roles, status} | acc])
  end

  defp member(<<id::little-64, st, rc, bin::binary>>) do
    <<roles::binary-size(rc * 8), len::little-16, name::binary-size(len), rest::binary>> = bin
    roles = for <<r::little-64 <- roles>>, do: r
    {{id, elem(@statuses, st), roles, :binary.copy(name)}, rest}
  end

  defp sessions(rest, 0, acc), do: {Enum.reverse(acc), rest}

  defp sessions(<<s::little-64, k::little-32, rest::binary>>, n, acc),
    do: sessions(rest, n - 1, [{s, [{0, 99}, {k * 100, k * 100 + 99}]} | acc])

  defp events(rest, 0, acc), do: {Enum.reverse(acc), rest}

  defp events(<<kind, bin::binary>>, n, acc) do
    {{id, status, roles, name}, rest} = member(bin)

    ev =
      case kind do
        0 -> {:status, id, status}
        1 -> {:name, id, name}
        2 -> {:roles, id, roles}
        3 -> {:add, id, name, roles, status}
        4 -> {:remove, id}
      end

    events(rest, n - 1, [ev | acc])
  end
end

defmodule Bench do
  alias Roster.Guild

  def main(argv) do
    {o, _, bad} =
      OptionParser.parse(argv,
        strict: [
          c_bench: :string,
          work: :string,
          w2: :string,
          events: :integer,
          flush_every: :integer,
          rounds: :integer,
          calls: :string,
          call_sessions: :integer,
          call_count: :integer,
          handoff: :string,
          handoffs: :integer,
          handoff_events: :integer,
          w1_n: :integer,
          sched: :string,
          only: :string
        ]
      )

    if bad != [] or o[:c_bench] == nil or o[:work] == nil do
      IO.puts(:stderr, "bench.exs: bad options #{inspect(bad)}; --c-bench and --work needed")
      System.halt(2)
    end

    work = Path.join(o[:work], "run-#{System.pid()}")
    File.mkdir_p!(work)

    cfg = %{
      c: o[:c_bench],
      work: work,
      w2: pairs(o[:w2] || "100000:1000,1000000:10000"),
      events: o[:events] || 200_000,
      flush_every: o[:flush_every] || 1000,
      rounds: o[:rounds] || 5,
      calls: ints(o[:calls] || "5000,50000,250000,1000000"),
      call_sessions: o[:call_sessions] || 1000,
      call_count: o[:call_count] || 20_000,
      handoff: pairs(o[:handoff] || "100000:1000,1000000:10000"),
      handoffs: o[:handoffs] || 6,
      handoff_events: o[:handoff_events] || 1000,
      w1_n: o[:w1_n] || 1_000_000,
      sched: pairs(o[:sched] || "1000000:10000") |> hd(),
      only: String.split(o[:only] || "w2,decode,calls,handoff,sched", ",")
    }

    IO.puts(
      "== BEAM bench: OTP #{System.otp_release()}, Elixir #{System.version()}, " <>
        "roster #{elem(Roster.version(), 1)}, #{System.schedulers_online()} schedulers, " <>
        "#{:erlang.system_info(:dirty_cpu_schedulers)} dirty CPU schedulers"
    )

    w1(cfg, "before")
    if "w2" in cfg.only, do: Enum.each(cfg.w2, &w2(cfg, &1))
    if "decode" in cfg.only, do: decode(cfg, hd(cfg.w2))
    if "calls" in cfg.only, do: Enum.each(cfg.calls, &calls(cfg, &1))
    if "handoff" in cfg.only, do: handoff(cfg)
    if "sched" in cfg.only, do: sched(cfg)
    w1(cfg, "after")
    File.rm_rf!(work)
  end

  defp pairs(s),
    do:
      for(
        p <- String.split(s, ","),
        do: p |> String.split(":") |> Enum.map(&String.to_integer/1) |> List.to_tuple()
      )

  defp ints(s), do: s |> String.split(",") |> Enum.map(&String.to_integer/1)

  # ---- the machine's reference ------------------------------------------------

  defp w1(%{w1_n: 0}, _), do: :ok

  defp w1(cfg, label) do
    {out, 0} = System.cmd(cfg.c, ["w1", "--n", "#{cfg.w1_n}"])

    case Regex.run(~r/W1 n=\d+ op=move roster_ns=([\d.]+) pbds_ns=([\d.]+)/, out) do
      [_, r, p] ->
        IO.puts("pbds_move #{label}: n=#{cfg.w1_n} pbds_ns=#{p} roster_ns=#{r}")

      nil ->
        IO.puts("pbds_move #{label}: not found in roster-bench w1's output")
    end
  end

  # ---- W2 ---------------------------------------------------------------------

  defp dump(cfg, members, sessions, events) do
    path = Path.join(cfg.work, "w2-#{members}-#{sessions}-#{events}-#{cfg.flush_every}.bin")

    # written once per run (in a folder of this run's own)
    unless File.exists?(path) do
      args =
        ~w(w2 --members #{members} --sessions #{sessions} --events #{events}) ++
          ~w(--flush-every #{cfg.flush_every} --dump #{path <> ".tmp"})

      {_, 0} = System.cmd(cfg.c, args)
      File.rename!(path <> ".tmp", path)
    end

    path
  end

  # A guild of the workload, its sessions subscribed in one batch; frames to
  # this process (drained).
  defp build(w) do
    g = build_members(w)
    subscribe(g, w)
    g
  end

  defp build_members(w) do
    {:ok, g} = Roster.new()
    for {id, pos, flags} <- w.roles, do: :ok = Roster.role_upsert(g, id, pos, flags)
    :ok = Roster.members_add(g, w.members)
    g
  end

  defp subscribe(g, w) do
    :ok = Roster.batch_begin(g)
    for {s, ranges} <- w.sessions, do: :ok = Roster.session_subscribe(g, s, 0, ranges)
    :ok = Roster.batch_commit(g)
    drain(%{frames: 0, ops: 0, rows: 0})
  end

  defp drain(c) do
    receive do
      {:roster_frames, block} when is_map_key(c, :walk) and c.walk ->
        drain(walk(block, c))

      {:roster_frames, block} ->
        t = now()
        {:ok, frames} = Roster.frames_decode(block)
        c = Map.update(c, :decode_ns, now() - t, &(&1 + now() - t))
        Enum.each(frames, &send(self(), &1))
        drain(c)

      {:roster_frame, _, sessions, f} ->
        n = length(sessions)

        rows =
          Enum.reduce(f.ops, 0, fn
            {:sync, _, _, rows}, a -> a + length(rows)
            {:insert, _, _}, a -> a + 1
            {:update, _, _}, a -> a + 1
            _, a -> a
          end)

        drain(%{c | frames: c.frames + n, ops: c.ops + n * length(f.ops), rows: c.rows + n * rows})
    after
      0 -> c
    end
  end

  # A block's records counted from their headers (docs/frames.md §12):
  # per record, its sessions, and its ops and rows once per session.
  defp walk(<<>>, c), do: c

  defp walk(
         <<size::little-64, _::binary-size(16), sc::little-32, _gc::little-32, oc::little-32,
           rc::little-32, _::binary>> = block,
         c
       ) do
    <<_::binary-size(size), rest::binary>> = block
    walk(rest, %{c | frames: c.frames + sc, ops: c.ops + sc * oc, rows: c.rows + sc * rc})
  end

  defp w2(cfg, {members, sessions}) do
    path = dump(cfg, members, sessions, cfg.events)
    w = Bench.Dump.read(path)
    batches = Enum.chunk_every(w.events, w.flush_every)
    # each batch as the external term format: made into terms just before
    # its call (a fresh copy in the calling process's heap)
    fresh = Enum.map(batches, &:erlang.term_to_binary/1)

    IO.puts(
      "\n== W2 members=#{members} sessions=#{sessions} events=#{cfg.events} " <>
        "flush_every=#{cfg.flush_every} rounds=#{cfg.rounds} (workload #{Path.basename(path)})"
    )

    rounds =
      for r <- 1..cfg.rounds do
        c = c_w2(cfg, members, sessions)
        t = nif_w2(w, fresh, :terms)
        q = nif_w2(w, fresh, :queue)
        cold = nif_w2(w, batches, :queue)
        d = nif_w2(w, fresh, :queue_decoded)

        # the same work: the same ops per event as C counted (per session)
        for n <- [t, q, cold, d],
            fmt3(n.ops) != c.ops,
            do: raise("NIF #{fmt3(n.ops)} ops per event, C #{c.ops}: not the same workload")

        IO.puts(
          "round #{r}: C #{round(c.eps)} events/s (#{c.ops} ops/event); " <>
            "NIF terms #{round(t.eps)} events/s = #{fmt(100 * t.eps / c.eps)}% of C " <>
            "(receiving the messages #{fmt(t.drain_ms)} ms, load #{fmt(t.load_ms)} ms); " <>
            "NIF queue #{round(q.eps)} events/s = #{fmt(100 * q.eps / c.eps)}% of C, " <>
            "with frames_decode #{round(d.eps_decoded)} = #{fmt(100 * d.eps_decoded / c.eps)}%; " <>
            "queue with cold batches #{round(cold.eps)} = #{fmt(100 * cold.eps / c.eps)}%"
        )

        {c.eps, t, %{q | eps_decoded: d.eps_decoded}, cold}
      end

    ce = Enum.map(rounds, &elem(&1, 0))

    for {mode, k} <- [terms: 1, queue: 2, queue_cold: 3] do
      ns = Enum.map(rounds, &elem(&1, k))
      ne = Enum.map(ns, & &1.eps)
      ratios = Enum.map(rounds, fn r -> elem(r, k).eps / elem(r, 0) end)
      last = List.last(ns)

      decoded =
        if mode == :queue,
          do:
            " with_decode_ratio_median=" <>
              fmt(100 * median(Enum.map(rounds, fn r -> elem(r, k).eps_decoded / elem(r, 0) end))) <>
              "%",
          else: ""

      IO.puts(
        "W2 NIF mode=#{mode} members=#{members} sessions=#{sessions} " <>
          "c_events_per_s=#{round(median(ce))} nif_events_per_s=#{round(median(ne))} " <>
          "ratio_median=#{fmt(100 * median(ratios))}% " <>
          "ratio_range=#{fmt(100 * Enum.min(ratios))}-#{fmt(100 * Enum.max(ratios))}%#{decoded} " <>
          "c_range=#{round(Enum.min(ce))}-#{round(Enum.max(ce))} " <>
          "nif_range=#{round(Enum.min(ne))}-#{round(Enum.max(ne))} " <>
          "ops_per_event=#{fmt(last.ops)} rows_per_event=#{fmt(last.rows)} " <>
          "frames_per_event=#{fmt(last.frames)} call_p50_us=#{fmt(last.p50)} " <>
          "call_p99_us=#{fmt(last.p99)}"
      )
    end
  end

  defp c_w2(cfg, members, sessions) do
    args =
      ~w(w2 --members #{members} --sessions #{sessions} --events #{cfg.events}) ++
        ~w(--flush-every #{cfg.flush_every} --rounds 1 --bulk)

    {out, 0} = System.cmd(cfg.c, args)
    [_, eps] = Regex.run(~r/W2 mode=bulk .* events_per_s=(\d+)/, out)
    [_, ops] = Regex.run(~r/per event: ([\d.]+) ops/, out)
    %{eps: String.to_integer(eps) * 1.0, ops: ops}
  end

  # Each NIF round in a process of its own, which drops the members once
  # they are added: frames are received and decoded by a process with a
  # small heap, as a guild's process would be (not this one, which holds
  # every workload).
  # A batch is a list of events, or a binary of one (term_to_binary) that
  # becomes the list just before its call.
  defp nif_w2(w, batches, mode) do
    parts = %{roles: w.roles, members: w.members, sessions: w.sessions}
    e = length(w.events)
    in_process(fn -> nif_w2_round(parts, batches, mode, e) end)
  end

  defp in_process(fun) do
    parent = self()
    {pid, ref} = spawn_monitor(fn -> send(parent, {:result, self(), fun.()}) end)

    receive do
      {:result, ^pid, r} ->
        receive do: ({:DOWN, ^ref, _, _, _} -> :ok)
        r

      {:DOWN, ^ref, _, _, reason} ->
        raise "bench process failed: #{inspect(reason)}"
    end
  end

  # mode :queue: the owner reads each block's records as C's callback reads
  # frames (their sessions, ops and rows counted), nothing decoded;
  # :queue_decoded: each block goes through frames_decode, timed apart.
  defp nif_w2_round(parts, batches, mode, e) do
    t = now()
    g = build_members(parts)
    # the format from the start, as Roster.Guild sets it: the queue's
    # buffers grow to their size with the sessions' first frames
    :ok = Roster.set_frame_format(g, if(mode == :terms, do: :terms, else: :queue))
    subscribe(g, parts)
    load_ms = (now() - t) / 1.0e6
    :erlang.garbage_collect()
    c0 = %{frames: 0, ops: 0, rows: 0, decode_ns: 0, walk: mode == :queue}

    {ns, drain_ns, c} =
      Enum.reduce(batches, {[], 0, c0}, fn b, {ns, dn, c} ->
        batch = if is_binary(b), do: :erlang.binary_to_term(b), else: b
        t0 = now()
        {:ok, _} = Roster.events_apply(g, batch)
        t1 = now()
        c = drain(c)
        {[t1 - t0 | ns], dn + now() - t1, c}
      end)

    :ok = Roster.close(g)
    total = Enum.sum(ns)

    %{
      eps: e * 1.0e9 / total,
      eps_decoded: e * 1.0e9 / (total + c.decode_ns),
      ops: c.ops / e,
      rows: c.rows / e,
      frames: c.frames / e,
      drain_ms: drain_ns / 1.0e6,
      load_ms: load_ms,
      p50: pct(ns, 0.5) / 1.0e3,
      p99: pct(ns, 0.99) / 1.0e3
    }
  end

  # The events of W2's batches read by the NIF, nothing applied: on a closed
  # guild events_apply walks the list and reads every event, then fails to
  # lock the guild. Five passes over all the batches; a batch is cold when
  # its turn comes (the workload is many MB), as a host's batch often is.
  # Beside it the cost of the call itself: events_apply of an empty list,
  # a dirty NIF call that does nothing (how fast an idle dirty scheduler
  # takes the call up: the emulator's +sbwtdcpu flag).
  defp decode(cfg, {members, sessions}) do
    w = Bench.Dump.read(dump(cfg, members, sessions, cfg.events))
    batches = Enum.chunk_every(w.events, w.flush_every)
    {:ok, g} = Roster.new()
    :ok = Roster.close(g)

    timed = fn batch ->
      t0 = now()
      {:error, :closed} = Roster.events_apply(g, batch)
      now() - t0
    end

    ns = for _ <- 1..5, batch <- batches, do: timed.(batch)
    empty = for _ <- 1..length(ns), do: timed.([])

    IO.puts(
      "\nDECODE members=#{members} sessions=#{sessions} events_per_call=#{w.flush_every} " <>
        "calls=#{length(ns)} p50_us=#{fmt(pct(ns, 0.5) / 1.0e3)} mean_us=#{fmt(mean(ns) / 1.0e3)} " <>
        "empty_call_p50_us=#{fmt(pct(empty, 0.5) / 1.0e3)} empty_call_mean_us=#{fmt(mean(empty) / 1.0e3)}"
    )
  end

  # ---- long_schedule ----------------------------------------------------------

  defp monitor_start do
    pid =
      spawn(fn ->
        receive do
          :go -> monitor_loop([])
        end
      end)

    :erlang.system_monitor(pid, [{:long_schedule, 10}, {:long_gc, 10}])
    send(pid, :go)
    pid
  end

  defp monitor_loop(acc) do
    receive do
      {:monitor, who, kind, info} when kind in [:long_schedule, :long_gc] ->
        monitor_loop([{kind, who, info} | acc])

      {:report, to} ->
        send(to, {:monitored, Enum.reverse(acc)})
    end
  end

  # Per kind: how many, the longest, and who (a process's role in names).
  defp monitor_report(pid, what, names) do
    :erlang.system_monitor(:undefined)
    send(pid, {:report, self()})

    events =
      receive do
        {:monitored, events} -> events
      end

    for kind <- [:long_schedule, :long_gc] do
      mine = for {^kind, who, info} <- events, do: {who, info}
      times = for {_, info} <- mine, do: Keyword.get(info, :timeout, 0)

      by =
        mine
        |> Enum.group_by(fn {who, _} -> Map.get(names, who, inspect(who)) end)
        |> Enum.map(fn {n, l} ->
          "#{n} #{length(l)} (longest #{Enum.max(for {_, i} <- l, do: Keyword.get(i, :timeout, 0))} ms)"
        end)
        |> Enum.join(", ")

      IO.puts(
        "SCHED #{kind} over 10 ms during #{what}: #{length(mine)}" <>
          if(mine == [], do: "", else: ", longest #{Enum.max(times)} ms: #{by}")
      )

      where =
        for {_, info} <- mine,
            kind == :long_schedule,
            uniq: true,
            do: {Keyword.get(info, :in), Keyword.get(info, :out)}

      for w <- Enum.take(where, 6), do: IO.puts("  in/out: #{inspect(w)}")
    end
  end

  @load_page 10_000

  # A Roster.Guild loads the members (members_add inside it, a page of
  # @load_page at a time), the sessions
  # subscribe (one call each, their processes 10 sinks), then W2 in batches
  # of flush_every events sent as casts; all of it under the monitor.
  defp sched(cfg) do
    {members, sessions} = cfg.sched
    path = dump(cfg, members, sessions, cfg.events)
    w = Bench.Dump.read(path)
    sinks = for _ <- 1..10, do: spawn_link(fn -> sink(0) end)
    names = Map.new(Enum.with_index(sinks), fn {p, i} -> {p, "sink#{i}"} end)
    IO.puts("\n== sched members=#{members} sessions=#{sessions} events=#{cfg.events}")
    mon = monitor_start()
    t0 = now()
    {:ok, g} = Guild.start_link([])
    names = names |> Map.put(g, "guild") |> Map.put(self(), "bench")
    roles = w.roles

    :ok =
      GenServer.call(
        g,
        {:guild,
         {:run,
          fn guild ->
            for {id, pos, flags} <- roles, do: :ok = Roster.role_upsert(guild, id, pos, flags)
            :ok
          end}},
        300_000
      )

    # The members go to the guild's process in pages of 10,000, as a
    # service reads them from its store: sending all 1M in one message
    # copies them in one stretch the sender cannot be scheduled out of
    # (225 ms in this process when it was done so).
    for page <- Enum.chunk_every(w.members, @load_page) do
      :ok =
        GenServer.call(
          g,
          {:guild, {:run, fn guild -> Roster.members_add(guild, page) end}},
          300_000
        )
    end

    t1 = now()

    for {{s, ranges}, i} <- Enum.with_index(w.sessions),
        do: :ok = Guild.subscribe(g, s, 0, ranges, Enum.at(sinks, rem(i, 10)))

    t2 = now()
    for batch <- Enum.chunk_every(w.events, cfg.flush_every), do: Guild.events(g, batch)
    want = length(w.events)
    wait_applied(g, want)
    t3 = now()

    IO.puts(
      "load #{fmt((t1 - t0) / 1.0e6)} ms (members copied to the guild's process in pages of " <>
        "#{@load_page} and added), " <>
        "#{sessions} subscribes #{fmt((t2 - t1) / 1.0e6)} ms, " <>
        "W2 #{round(want * 1.0e9 / (t3 - t2))} events/s through Roster.Guild"
    )

    monitor_report(mon, "the load, the subscribes and W2", names)
    GenServer.stop(g)
    for p <- sinks, do: Process.unlink(p) && Process.exit(p, :kill)
  end

  # ---- one call at a time -----------------------------------------------------

  defp calls(cfg, members) do
    # n calls of each kind: a third before the sessions subscribe, a third
    # with them, a third with them and the frame queue
    path = dump(cfg, members, cfg.call_sessions, 1)
    # in a process of its own, whose heap does not hold the members
    in_process(fn -> calls_run(cfg, members, Bench.Dump.read(path)) end)
  end

  defp calls_run(cfg, members, w) do
    g = build_members(w)
    ids = w.members |> Enum.map(&elem(&1, 0)) |> List.to_tuple()
    role_ids = Enum.map(w.roles, &elem(&1, 0))
    sessions = %{sessions: w.sessions}
    :erlang.garbage_collect()
    :rand.seed(:exsss, {1, 2, 3})
    n = cfg.call_count

    adds =
      for i <- 1..n do
        roles = if :rand.uniform(2) == 1, do: [Enum.random(role_ids)], else: []
        status = Enum.random([:online, :offline, :offline, :idle])
        {4_000_000_000_000 + i, "new member #{:rand.uniform(1_000_000)}", roles, status}
      end

    statuses =
      for _ <- 1..n,
          do:
            {elem(ids, :rand.uniform(tuple_size(ids)) - 1),
             Enum.random([:online, :idle, :dnd, :offline])}

    [adds0, adds1, adds2] = Enum.chunk_every(adds, div(n + 2, 3))
    [st0, st1, st2] = Enum.chunk_every(statuses, div(n + 2, 3))
    call_pass(g, members, 0, adds0, st0, :terms)
    subscribe(g, sessions)
    call_pass(g, members, cfg.call_sessions, adds1, st1, :terms)
    :ok = Roster.set_frame_format(g, :queue)
    call_pass(g, members, cfg.call_sessions, adds2, st2, :queue)
    :ok = Roster.close(g)

    # C's cost of the same kind of work in the same run: roster-bench w2
    # with a flush after every event (W2's mix of events, not these calls)
    args =
      ~w(w2 --members #{members} --sessions #{cfg.call_sessions} --events #{min(n, 5000)}) ++
        ~w(--flush-every 1 --rounds 1)

    {out, 0} = System.cmd(cfg.c, args)
    [_, eps] = Regex.run(~r/W2 mode=calls .* events_per_s=(\d+)/, out)
    [_, p50] = Regex.run(~r/flush_p50_us=([\d.]+)/, out)

    IO.puts(
      "CALLS_C members=#{members} sessions=#{cfg.call_sessions}: one W2 event and its flush " <>
        "mean_us=#{fmt(1.0e6 / String.to_integer(eps))} (flush p50_us=#{p50})"
    )
  end

  defp call_pass(g, members, sessions, adds, statuses, mode) do
    add_ns =
      timed_calls(adds, fn {id, name, roles, st} -> Roster.member_add(g, id, name, roles, st) end)

    st_ns = timed_calls(statuses, fn {id, st} -> Roster.member_set_status(g, id, st) end)

    IO.puts(
      "CALLS mode=#{mode} members=#{members} sessions=#{sessions} n=#{length(adds)}: " <>
        "member_add p50_us=#{fmt(pct(add_ns, 0.5) / 1000)} mean_us=#{fmt(mean(add_ns) / 1000)} " <>
        "p99_us=#{fmt(pct(add_ns, 0.99) / 1000)}; " <>
        "member_set_status p50_us=#{fmt(pct(st_ns, 0.5) / 1000)} mean_us=#{fmt(mean(st_ns) / 1000)} " <>
        "p99_us=#{fmt(pct(st_ns, 0.99) / 1000)}"
    )
  end

  # Each call timed alone (its frames drained every 100 calls, untimed).
  defp timed_calls(args, fun) do
    args
    |> Enum.chunk_every(100)
    |> Enum.flat_map(fn chunk ->
      ns =
        for a <- chunk do
          t0 = now()
          r = fun.(a)
          t1 = now()
          if r != :ok, do: raise("call failed: #{inspect(r)} for #{inspect(a)}")
          t1 - t0
        end

      drain(%{frames: 0, ops: 0, rows: 0})
      ns
    end)
  end

  # ---- hand-off -----------------------------------------------------------------

  defp handoff(cfg) do
    peer = start_peer()
    :ok = Roster.Cluster.start()
    # a first move warms up the connection and loads the code on the peer:
    # not reported
    handoff(%{cfg | handoffs: 2}, peer, {1000, 10}, false)
    Enum.each(cfg.handoff, &handoff(cfg, peer, &1, true))
  end

  defp start_peer do
    unless Node.alive?() do
      {:ok, _} = :net_kernel.start([:"roster_bench_#{port(0)}@127.0.0.1", :longnames])
    end

    port = port(1)

    flags =
      [
        ~c"-epmd_module",
        ~c"Elixir.Roster.Cluster.Epmd",
        ~c"-start_epmd",
        ~c"false",
        ~c"-setcookie",
        Atom.to_charlist(:erlang.get_cookie())
      ] ++ Enum.flat_map(:code.get_path(), &[~c"-pa", &1])

    {:ok, _peer, name} =
      :peer.start_link(%{
        name: ~c"roster_bench_#{port}",
        host: ~c"127.0.0.1",
        longnames: true,
        args: flags
      })

    :ok = :erpc.call(name, Roster.Cluster, :start, [])
    name
  end

  # Ports from this OS process's id: runs at the same time differ.
  defp port(k), do: 20_000 + rem(String.to_integer(System.pid()) * 2 + k, 40_000)

  defp sink(n) do
    receive do
      {:roster_frame, _, s, _} -> sink(n + length(s))
      {:count, to} -> send(to, {:frames, n})
    end
  end

  defp handoff(cfg, peer, {members, sessions}, report) do
    say = fn line -> if report, do: IO.puts(line) end
    path = dump(cfg, members, sessions, cfg.events)
    w = Bench.Dump.read(path)
    g = build(w)
    t0 = now()
    {:ok, bytes} = Roster.save(g, true)
    t1 = now()
    :ok = Roster.close(g)
    {:ok, g2} = Roster.load(bytes)
    t2 = now()
    :ok = Roster.close(g2)
    # what the bytes cost to ship: the external term format both ways
    t3 = now()
    _ = :erlang.binary_to_term(:erlang.term_to_binary({:snapshot, bytes}))
    t4 = now()
    sink = spawn_link(fn -> sink(0) end)
    id = {:bench, members, sessions}

    {:ok, pid} =
      Roster.Cluster.start_guild(id,
        node: node(),
        snapshot: bytes,
        sessions: Map.new(w.sessions, fn {s, _} -> {s, sink} end)
      )

    per = min(cfg.handoff_events, div(length(w.events), cfg.handoffs + 1))
    [warm | chunks] = Enum.chunk_every(w.events, per)
    Guild.events(pid, warm)
    {:ok, _} = Guild.stats(pid)

    say.(
      "\n== hand-off members=#{members} sessions=#{sessions} (snapshot #{byte_size(bytes)} bytes), " <>
        "#{cfg.handoffs} moves between #{node()} and #{peer}, #{per} events sent during each"
    )

    say.(
      "parts, measured here once: Roster.save #{fmt((t1 - t0) / 1.0e6)} ms, " <>
        "Roster.load #{fmt((t2 - t1) / 1.0e6)} ms, the bytes through term_to_binary and " <>
        "back #{fmt((t4 - t3) / 1.0e6)} ms"
    )

    {:ok, %{events: applied}} = Guild.stats(pid)

    {_, _, times} =
      Enum.reduce(Enum.take(chunks, cfg.handoffs), {pid, applied, []}, fn evs,
                                                                          {pid, applied, acc} ->
        target = if node(pid) == node(), do: peer, else: node()
        t0 = now()
        task = Task.async(fn -> GenServer.call(pid, {:guild, {:hand_off, target}}, 60_000) end)
        # events sent while the hand-off runs: they queue in the old
        # process and are applied by the new one
        for part <- Enum.chunk_every(evs, 100), do: Guild.events(pid, part)
        {:ok, new} = Task.await(task, 60_000)
        t1 = now()
        want = applied + length(evs)
        wait_applied(new, want)
        t2 = now()
        ms = (t2 - t0) / 1.0e6

        say.(
          "move to #{node(new)}: #{fmt(ms)} ms with the #{length(evs)} events applied " <>
            "(hand-off call #{fmt((t1 - t0) / 1.0e6)} ms)"
        )

        {new, want, [ms | acc]}
      end)

    send(sink, {:count, self()})

    receive do
      {:frames, n} -> say.("frames received by the sessions' process: #{n}")
    end

    say.(
      "HANDOFF members=#{members} sessions=#{sessions} median_ms=#{fmt(median(times))} " <>
        "range_ms=#{fmt(Enum.min(times))}-#{fmt(Enum.max(times))}"
    )
  end

  defp wait_applied(pid, want) do
    case GenServer.call(pid, {:guild, :stats}, 300_000) do
      {:ok, %{events: ^want}} ->
        :ok

      {:ok, %{events: e}} when e < want ->
        Process.sleep(1)
        wait_applied(pid, want)
    end
  end

  # ---- helpers ------------------------------------------------------------------

  defp now, do: :erlang.monotonic_time(:nanosecond)
  defp fmt(x) when is_float(x), do: :erlang.float_to_binary(x, decimals: 2)
  defp fmt(x), do: to_string(x)
  defp fmt3(x), do: :erlang.float_to_binary(x * 1.0, decimals: 3)
  defp mean(l), do: Enum.sum(l) / length(l)
  defp median(l), do: pct(l, 0.5)

  defp pct(l, p) do
    s = Enum.sort(l)
    Enum.at(s, trunc(p * (length(s) - 1))) * 1.0
  end
end

Bench.main(System.argv())
