defmodule Roster.Guild do
  @moduledoc """
  A process per guild: it owns the guild (a `Roster` resource), applies
  member events, keeps the sessions' subscriptions, and sends each frame to
  the processes of the sessions it is for.

    * Events are casts (`event/2`, `events/2`). Events that are waiting in
      the process's mailbox when one is handled are taken with it, in
      order, up to `:max_batch` of them, and applied in one
      `Roster.events_apply/2`, which flushes once: one frame per session
      for the whole burst. A call queued between two events is not
      overtaken: the events before it are applied, then it is handled.
    * Subscriptions are calls (`subscribe/5`, `unsubscribe/3`,
      `remove_session/2`). Each session belongs to a process (the caller by
      default), which receives its frames as messages

          {:roster_frame, list_id, sessions, frame}

      (`sessions`: those of its sessions the frame is for; `frame` as in
      `Roster`). The process is monitored: when it exits, its sessions are
      removed from the guild.
    * Anything else (roles, lists, queries) runs inside the process through
      `run/2`, so that its frames are forwarded like the others.
  """
  use GenServer

  @typedoc "A `Roster.Guild` process."
  @type server :: GenServer.server()

  @default_max_batch 10_000
  # a hand-off's snapshot crosses in pieces of this many bytes
  @piece_bytes 262_144
  @handoff_timeout 30_000

  # ---- API --------------------------------------------------------------------

  @doc """
  Starts a guild process. Options: `:config` (as `Roster.new/1`),
  `:snapshot` (a binary of `Roster.save/2`: the guild is loaded from it
  instead of made empty; its sessions have no process until subscribed
  again through this server), `:max_batch` (events per
  `Roster.events_apply/2`, default #{@default_max_batch}), `:frame_format`
  (`:terms`, `:json` or `:queue`, see `Roster.set_frame_format/2`; with
  `:queue` the process decodes each call's block and sends the sessions'
  processes the same messages as with `:terms`), `:name`.
  """
  @spec start_link(keyword()) :: GenServer.on_start()
  def start_link(opts \\ []) do
    GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))
  end

  @doc "A member event (see `t:Roster.event/0`), applied with those queued with it."
  @spec event(server(), Roster.event()) :: :ok
  def event(server, event), do: GenServer.cast(server, {:events, [event]})

  @doc "Several member events, in order."
  @spec events(server(), [Roster.event()]) :: :ok
  def events(server, events) when is_list(events), do: GenServer.cast(server, {:events, events})

  @doc """
  Subscribes `session_id` to `ranges` of `list_id`; its frames go to `pid`
  (the caller by default), which is monitored.
  """
  @spec subscribe(
          server(),
          Roster.id(),
          Roster.id(),
          [{non_neg_integer(), non_neg_integer()}],
          pid()
        ) ::
          Roster.result()
  def subscribe(server, session_id, list_id, ranges, pid \\ self()) do
    GenServer.call(server, {:guild, {:subscribe, session_id, list_id, ranges, pid}})
  end

  @doc "Unsubscribes a session from a list (it gets a last INVALIDATE frame)."
  @spec unsubscribe(server(), Roster.id(), Roster.id()) :: Roster.result()
  def unsubscribe(server, session_id, list_id) do
    GenServer.call(server, {:guild, {:unsubscribe, session_id, list_id}})
  end

  @doc "Removes a session: it gets no more frames."
  @spec remove_session(server(), Roster.id()) :: Roster.result()
  def remove_session(server, session_id) do
    GenServer.call(server, {:guild, {:remove_session, session_id}})
  end

  @doc """
  Calls `fun` with the guild inside the guild's process (after every event
  cast before), and returns what it returns; frames it causes are
  forwarded. E.g. `run(g, &Roster.role_upsert(&1, 101, 3, [:hoist]))`.
  """
  @spec run(server(), (Roster.guild() -> result)) :: result when result: term()
  def run(server, fun) when is_function(fun, 1) do
    GenServer.call(server, {:guild, {:run, fun}})
  end

  @doc """
  `apply(Roster, fun, [guild | args])` inside the guild's process: `run/2`
  for a guild on another node, where a closure of this node's code may
  not exist (and a NIF resource means nothing outside its node).
  """
  @spec call(server(), atom(), list()) :: term()
  def call(server, fun, args) when is_atom(fun) and is_list(args) do
    GenServer.call(server, {:guild, {:apply, fun, args}})
  end

  @doc "`Roster.stats/1` of the guild, with `:events` (applied through this server) and `:batches` (calls of `Roster.events_apply/2`)."
  @spec stats(server()) :: Roster.result(map())
  def stats(server), do: GenServer.call(server, {:guild, :stats})

  @doc "The sessions of the guild and the pid each belongs to."
  @spec sessions(server()) :: %{Roster.id() => pid()}
  def sessions(server), do: GenServer.call(server, {:guild, :sessions})

  @doc "A snapshot of the guild with its sessions (`Roster.save/2`)."
  @spec save(server()) :: Roster.result(binary())
  def save(server), do: GenServer.call(server, {:guild, :save})

  # ---- Server -----------------------------------------------------------------

  @impl true
  def init(opts) do
    config = Keyword.get(opts, :config, [])

    store = Keyword.get(opts, :store)
    restore = Keyword.get(opts, :restore, false) and store != nil

    made =
      cond do
        restore -> restore(store, Keyword.fetch!(opts, :cluster_id), config)
        Keyword.has_key?(opts, :snapshot_from) -> receive_snapshot(opts[:snapshot_from], config)
        Keyword.has_key?(opts, :snapshot) -> Roster.load(Keyword.fetch!(opts, :snapshot), config)
        true -> Roster.new(config)
      end

    made =
      with {:ok, guild} <- made,
           :ok <- Roster.set_frame_format(guild, Keyword.get(opts, :frame_format, :terms)),
           do: {:ok, guild}

    case made do
      {:ok, guild} ->
        state = %{
          guild: guild,
          config: config,
          frame_format: Keyword.get(opts, :frame_format, :terms),
          max_batch: Keyword.get(opts, :max_batch, @default_max_batch),
          # session id => pid; pid => {monitor ref, MapSet of session ids}
          sessions: %{},
          pids: %{},
          events: Keyword.get(opts, :events, 0),
          batches: 0,
          # Roster.Cluster: the guild's id in the cluster, and after a
          # hand-off the process that has the guild now
          cluster_id: Keyword.get(opts, :cluster_id),
          moved_to: nil,
          # a pid told {:roster_applied, events} after each events_apply
          # (tests replay them into a guild that never moves)
          log: Keyword.get(opts, :log),
          # {session, list} pairs whose rows go with each of those messages
          log_views: Keyword.get(opts, :log_views, []),
          # Roster.Cluster.Store: the log and snapshots a dead node's
          # guilds are restarted from
          store: store,
          snapshot_every: Keyword.get(opts, :snapshot_every, 100)
        }

        # sessions handed over with a snapshot: bound to their pids again
        state =
          Enum.reduce(Keyword.get(opts, :sessions, %{}), state, fn {s, pid}, st ->
            bind(st, s, pid)
          end)

        if state.cluster_id != nil, do: Roster.Cluster.join(state.cluster_id, self())

        if store != nil and state.cluster_id != nil,
          do: Roster.Cluster.Store.placed(store, state.cluster_id, node())

        # restored: the sessions subscribe again (a fresh SYNC each)
        state =
          if restore do
            store
            |> Roster.Cluster.Store.subscriptions(state.cluster_id)
            |> Enum.reduce(state, fn {session, list, ranges, pid}, st ->
              {_, st} = request({:subscribe, session, list, ranges, pid}, st)
              st
            end)
            |> forward_frames()
          else
            state
          end

        {:ok, state}

      {:error, reason} ->
        {:stop, reason}
    end
  end

  @impl true
  def handle_cast({:events, events}, state) do
    {batch, pending} = drain(Enum.reverse(events), length(events), state.max_batch)
    state = take_events(batch, state)

    case pending do
      nil -> {:noreply, state}
      {from, request} -> answer(handle_call(request, from, state), from)
    end
  end

  # Moved: the events waiting here go on as one batch (the new process
  # applies what comes together in one flush), before the call that came
  # after them (handle_call/3 forwards it): the order they came in.
  defp take_events(batch, %{moved_to: pid} = state) when pid != nil do
    GenServer.cast(pid, {:events, batch})
    state
  end

  defp take_events(batch, state), do: apply_events(batch, state)

  # A call taken from the mailbox by drain/3, answered from a cast.
  defp answer({:reply, reply, state}, from) do
    GenServer.reply(from, reply)
    {:noreply, state}
  end

  defp answer({:noreply, state}, _from), do: {:noreply, state}

  @impl true
  def handle_call({:guild, _} = request, from, %{moved_to: pid} = state) when pid != nil do
    # Answered by the process that has the guild now: the call goes on to
    # it as it came, after the events forwarded before it and before those
    # after it (messages from one process to another keep their order).
    send(pid, {:"$gen_call", from, request})
    {:noreply, state}
  end

  def handle_call({:guild, {:hand_off, node}}, _from, state) do
    {reply, state} = hand_off(node, state)
    {:reply, reply, state}
  end

  def handle_call({:guild, request}, _from, state) do
    {reply, state} = request(request, state)
    {:reply, reply, forward_frames(state)}
  end

  @impl true
  def handle_info({:roster_frame, _, _, _} = frame, state) do
    # A frame not yet forwarded (forward_frames takes them all after each
    # call): forward it now.
    {:noreply, forward(frame, state)}
  end

  def handle_info({:roster_frames, _} = block, state) do
    {:noreply, forward(block, state)}
  end

  def handle_info({:DOWN, ref, :process, pid, _reason}, state) do
    case state.pids do
      %{^pid => {^ref, sessions}} ->
        state =
          Enum.reduce(sessions, state, fn s, st ->
            _ = Roster.session_remove(st.guild, s)

            if st.store != nil,
              do: Roster.Cluster.Store.remove_session(st.store, st.cluster_id, s)

            %{st | sessions: Map.delete(st.sessions, s)}
          end)

        {:noreply, forward_frames(%{state | pids: Map.delete(state.pids, pid)})}

      _ ->
        {:noreply, state}
    end
  end

  def handle_info(:close_moved, %{moved_to: pid} = state) when pid != nil do
    :ok = Roster.close(state.guild)
    {:noreply, state}
  end

  def handle_info(:retire, %{moved_to: pid} = state) when pid != nil do
    {:stop, :normal, state}
  end

  def handle_info(_other, state), do: {:noreply, state}

  # The frames this process sent are in their receivers' mailboxes before
  # the new process may send any: Erlang orders messages between two
  # processes only, so a session's pid on another node could otherwise get
  # a frame of the new process before the last ones of this one. One round
  # trip to each of those nodes from this process, after its frames on the
  # same connection, makes sure they have arrived. (The new process is
  # started through :erpc from here, which does the same for its node.)
  defp frames_delivered(state) do
    state.pids
    |> Map.keys()
    |> Enum.map(&node/1)
    |> Enum.uniq()
    |> Enum.reject(&(&1 == node()))
    |> Enum.each(fn n -> :erpc.call(n, :erlang, :node, []) end)
  end

  # The hand-off (Roster.Cluster.handoff/3): the guild is saved with its
  # sessions, loaded by a new process on node with the sessions' pids, and
  # this process becomes a forwarder: the events that queued in its
  # mailbox meanwhile, and those that come later, go on to the new process
  # in order. Frames never stop: the loaded guild's sessions keep receiving
  # incremental ops (a snapshot holds what their clients hold).
  #
  # Three things overlap: the new process is started (:erpc, on a helper
  # process, so that a start that fails is seen) while this one saves; the
  # save sends the snapshot in pieces (Roster.save_to/5) to a relay
  # process, which sends them on to the new process as soon as it asks;
  # and the new process loads them as they come (Roster.load_stream_open/1).
  # The new process cannot send a frame before it has events, which it can
  # get only once its init has ended, after the snapshot's end, which this
  # process sends after frames_delivered/1.
  defp hand_off(node, state) do
    state = forward_frames(state)
    tag = make_ref()
    relay = spawn_link(fn -> relay(tag) end)

    opts = [
      snapshot_from: {relay, tag},
      config: state.config,
      frame_format: state.frame_format,
      max_batch: state.max_batch,
      sessions: state.sessions,
      events: state.events,
      cluster_id: state.cluster_id,
      log: state.log,
      log_views: state.log_views,
      store: state.store,
      snapshot_every: state.snapshot_every
    ]

    starting = start_new(node, opts, tag)
    saved = Roster.save_to(state.guild, true, relay, tag, @piece_bytes)
    # frames still owed (after an eflush) were delivered by the save
    state = forward_frames(state)

    started =
      case saved do
        {:ok, _} ->
          # before the end of the snapshot: the new process, which could
          # then be found and sent events, sends no frame before it
          :ok = frames_delivered(state)
          send(relay, {:roster_snapshot_end, tag})
          started(starting, tag)

        error ->
          # the new process sees its sender go down and stops
          stop_relay(relay)
          _ = started(starting, tag)
          error
      end

    stop_relay(relay)

    case started do
      {:ok, pid} ->
        if state.cluster_id != nil, do: Roster.Cluster.leave(state.cluster_id, self())
        Enum.each(state.pids, fn {_pid, {ref, _}} -> Process.demonitor(ref, [:flush]) end)
        # Freed once the events that queued meanwhile (already in the mailbox,
        # before this message) have been forwarded: freeing a large guild
        # takes a while, and the new process is waiting for them.
        send(self(), :close_moved)
        Process.send_after(self(), :retire, Roster.Cluster.retire_after())
        {{:ok, pid}, %{state | moved_to: pid, sessions: %{}, pids: %{}}}

      error ->
        {error, state}
    end
  end

  # The relay: the pieces wait in its mailbox until the new process asks
  # for them, then go on in order, the end last.
  defp relay(tag) do
    receive do
      {:roster_snapshot_ready, ^tag, pid} -> relay_to(pid, tag)
    end
  end

  defp relay_to(pid, tag) do
    receive do
      {:roster_snapshot, ^tag, _} = piece ->
        send(pid, piece)
        relay_to(pid, tag)

      {:roster_snapshot_end, ^tag} = done ->
        send(pid, done)
    end
  end

  # Gone, whatever it was doing (a new process still loading sees it go
  # down and stops); a relay that finished is gone already.
  defp stop_relay(relay) do
    Process.unlink(relay)
    Process.exit(relay, :kill)
  end

  # GenServer.start of the new process on node, from a helper process that
  # reports its result as {tag, :started, result}.
  defp start_new(node, opts, tag) do
    me = self()

    spawn_monitor(fn ->
      started =
        try do
          :erpc.call(node, GenServer, :start, [__MODULE__, opts], @handoff_timeout)
        catch
          kind, reason -> {:error, {kind, reason}}
        end

      send(me, {tag, :started, started})
    end)
  end

  defp started({helper, mon}, tag) do
    result =
      receive do
        {^tag, :started, started} -> started
        {:DOWN, ^mon, :process, ^helper, reason} -> {:error, reason}
      end

    Process.demonitor(mon, [:flush])
    result
  end

  # In the new process's init: the pieces, fed to a loader as they come.
  defp receive_snapshot({from, tag}, config) do
    with {:ok, loader} <- Roster.load_stream_open(config) do
      ref = Process.monitor(from)
      send(from, {:roster_snapshot_ready, tag, self()})
      loaded = receive_pieces(loader, tag, ref)
      Process.demonitor(ref, [:flush])
      loaded
    end
  end

  defp receive_pieces(loader, tag, ref) do
    receive do
      {:roster_snapshot, ^tag, piece} ->
        case Roster.load_stream_feed(loader, piece) do
          :ok -> receive_pieces(loader, tag, ref)
          error -> error
        end

      {:roster_snapshot_end, ^tag} ->
        Roster.load_stream_finish(loader)

      {:DOWN, ^ref, :process, _, reason} ->
        {:error, {:sender_down, reason}}
    after
      @handoff_timeout -> {:error, :timeout}
    end
  end

  # Takes the events waiting in the mailbox, in order, until max of them,
  # none is left, or one of this server's calls comes first (it is
  # returned to be handled after the batch, so that it is not overtaken).
  defp drain(acc, n, max) when n >= max, do: {Enum.reverse(acc), nil}

  defp drain(acc, n, max) do
    receive do
      {:"$gen_cast", {:events, events}} ->
        drain(Enum.reverse(events, acc), n + length(events), max)

      {:"$gen_call", from, {:guild, _} = request} ->
        {Enum.reverse(acc), {from, request}}
    after
      0 -> {Enum.reverse(acc), nil}
    end
  end

  defp apply_events([], state), do: state

  defp apply_events(events, state) do
    # written ahead: a batch in the log may not have been applied yet, never
    # the other way round
    if state.store != nil,
      do: Roster.Cluster.Store.append(state.store, state.cluster_id, events)

    state = apply_batch(events, state)
    state = %{state | events: state.events + length(events), batches: state.batches + 1}

    if rem(state.batches, state.snapshot_every) == 0, do: snapshot_after(state)
    forward_frames(state)
  end

  # With a store: a snapshot now. After every snapshot_every batches, and
  # after any call through run/2 or call/3, which may change what the log
  # does not hold (roles, lists, settings).
  defp snapshot_after(%{store: nil} = state), do: state

  defp snapshot_after(state) do
    {:ok, bytes} = Roster.save(state.guild, false)
    :ok = Roster.Cluster.Store.snapshot(state.store, state.cluster_id, bytes)
    state
  end

  # A dead node's guild: its last snapshot (or an empty guild) and the
  # batches logged since, applied again (no session: no frame).
  defp restore(store, id, config) do
    {snapshot, batches} = Roster.Cluster.Store.fetch(store, id)
    made = if snapshot, do: Roster.load(snapshot, config), else: Roster.new(config)

    with {:ok, guild} <- made do
      Enum.each(batches, &apply_batch(&1, %{guild: guild, log: nil}))
      {:ok, guild}
    end
  end

  defp apply_batch(events, state) do
    case Roster.events_apply(state.guild, events) do
      {:error, :badarg} ->
        # A malformed event fails the whole call and nothing is applied:
        # the batch is applied again one event at a time, inside one
        # roster batch (one flush), and the malformed ones alone are dropped.
        :ok = Roster.batch_begin(state.guild)
        Enum.each(events, &Roster.events_apply(state.guild, [&1]))
        _ = Roster.batch_commit(state.guild)

      _ ->
        :ok
    end

    # numbered by the events applied before, which a hand-off carries on;
    # with the rows each watched session holds after this flush
    if state.log != nil,
      do: send(state.log, {:roster_applied, state.events, events, view_rows(state)})

    state
  end

  # {session, list} => {ranges, %{index => row}}: the rows of the session's
  # ranges as the guild has them now.
  defp view_rows(state) do
    Map.new(state.log_views, fn {session, list} ->
      ranges =
        case Roster.session_ranges(state.guild, session, list) do
          {:ok, ranges} -> ranges
          _ -> []
        end

      rows =
        for {a, b} <- ranges,
            {:ok, rows} = Roster.list_rows(state.guild, list, a, b),
            {row, k} <- Enum.with_index(rows, a),
            into: %{},
            do: {k, row}

      {{session, list}, {ranges, rows}}
    end)
  end

  defp request({:subscribe, session, list, ranges, pid}, state) when is_pid(pid) do
    state = bind(state, session, pid)

    case Roster.session_subscribe(state.guild, session, list, ranges) do
      :ok ->
        if state.store != nil,
          do:
            Roster.Cluster.Store.subscription(
              state.store,
              state.cluster_id,
              session,
              list,
              ranges,
              pid
            )

        {:ok, state}

      error ->
        # A session that did not exist before is not kept by the guild.
        state =
          case Roster.session_ranges(state.guild, session, 0) do
            {:error, :enotfound} -> unbind(state, session)
            _ -> state
          end

        {error, state}
    end
  end

  defp request({:subscribe, _, _, _, _}, state), do: {{:error, :badarg}, state}

  defp request({:unsubscribe, session, list}, state) do
    result = Roster.session_unsubscribe(state.guild, session, list)

    if result == :ok and state.store != nil,
      do:
        Roster.Cluster.Store.subscription(
          state.store,
          state.cluster_id,
          session,
          list,
          [],
          self()
        )

    {result, state}
  end

  # events acknowledged once logged and applied (after every event cast
  # before by the same sender)
  defp request({:events, events}, state) when is_list(events),
    do: {:ok, apply_events(events, state)}

  defp request({:remove_session, session}, state) do
    case Roster.session_remove(state.guild, session) do
      :ok ->
        if state.store != nil,
          do: Roster.Cluster.Store.remove_session(state.store, state.cluster_id, session)

        {:ok, unbind(state, session)}

      error ->
        {error, state}
    end
  end

  defp request({:run, fun}, state), do: {fun.(state.guild), snapshot_after(state)}

  defp request({:apply, fun, args}, state) do
    if function_exported?(Roster, fun, length(args) + 1),
      do: {apply(Roster, fun, [state.guild | args]), snapshot_after(state)},
      else: {{:error, :badarg}, state}
  end

  defp request(:stats, state) do
    case Roster.stats(state.guild) do
      {:ok, st} -> {{:ok, Map.merge(st, %{events: state.events, batches: state.batches})}, state}
      error -> {error, state}
    end
  end

  defp request(:sessions, state), do: {state.sessions, state}
  defp request({:log, pid}, state), do: request({:log, pid, []}, state)

  defp request({:log, pid, views}, state) when (is_pid(pid) or pid == nil) and is_list(views),
    do: {:ok, %{state | log: pid, log_views: views}}

  defp request(:save, state), do: {Roster.save(state.guild, true), state}
  defp request(_, state), do: {{:error, :badarg}, state}

  # The session belongs to pid from now on (monitored).
  defp bind(state, session, pid) do
    state =
      if Map.get(state.sessions, session, pid) != pid, do: unbind(state, session), else: state

    pids =
      case state.pids do
        %{^pid => {ref, set}} -> Map.put(state.pids, pid, {ref, MapSet.put(set, session)})
        _ -> Map.put(state.pids, pid, {Process.monitor(pid), MapSet.new([session])})
      end

    %{state | sessions: Map.put(state.sessions, session, pid), pids: pids}
  end

  defp unbind(state, session) do
    case Map.pop(state.sessions, session) do
      {nil, _} ->
        state

      {pid, sessions} ->
        {ref, set} = Map.fetch!(state.pids, pid)
        set = MapSet.delete(set, session)

        pids =
          if MapSet.size(set) == 0 do
            Process.demonitor(ref, [:flush])
            Map.delete(state.pids, pid)
          else
            Map.put(state.pids, pid, {ref, set})
          end

        %{state | sessions: sessions, pids: pids}
    end
  end

  # The NIF sends the frames of a call to this process (the guild's owner)
  # during the call: they are in the mailbox when it returns.
  defp forward_frames(state) do
    receive do
      {:roster_frame, _, _, _} = frame -> forward_frames(forward(frame, state))
      {:roster_frames, _} = block -> forward_frames(forward(block, state))
    after
      0 -> state
    end
  end

  # frame_format :queue: a call's frames in one block
  defp forward({:roster_frames, block}, state) do
    {:ok, frames} = Roster.frames_decode(block)
    Enum.reduce(frames, state, &forward/2)
  end

  defp forward({:roster_frame, list_id, sessions, frame}, state) do
    sessions
    |> Enum.group_by(&Map.get(state.sessions, &1))
    |> Enum.each(fn
      {nil, _} -> :ok
      {pid, ids} -> send(pid, {:roster_frame, list_id, ids, frame})
    end)

    state
  end
end
