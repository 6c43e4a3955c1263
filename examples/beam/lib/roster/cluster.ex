defmodule Roster.Cluster do
  @moduledoc """
  Guilds on a cluster of BEAM nodes: each guild is a `Roster.Guild`
  process on the node that rendezvous hashing of its id picks, found
  through the `:pg` scope `#{inspect(:roster_cluster)}`, and moved between
  nodes live by `handoff/3`.

  Every node runs `start/0` (the `:pg` scope). A guild started with
  `start_guild/2` joins the group `{:guild, id}`; `whereis/1` finds it from
  any node. `handoff/3` moves it: the old process stops applying events
  (they queue in its mailbox), saves the guild with its sessions, the new
  process loads the bytes on the target node with the sessions' pids and
  joins the group, and the old process forwards what queued, and whatever
  still comes to it for `retire_after/0` ms, to the new one, then exits.
  Sessions keep receiving incremental frames, never a re-sent SYNC.
  """

  @scope :roster_cluster
  @watcher :roster_cluster_watcher

  @doc "Starts this node's `:pg` scope (idempotent)."
  @spec start() :: :ok
  def start do
    case :pg.start(@scope) do
      {:ok, _} -> :ok
      {:error, {:already_started, _}} -> :ok
    end
  end

  @doc """
  The node a guild belongs on: the one with the highest hash of
  `{guild_id, node}` (rendezvous hashing). When a node leaves, only its
  guilds move; when one joins, only the guilds it now wins.
  """
  @spec place(term(), [node()]) :: node()
  def place(guild_id, nodes \\ [node() | Node.list()]) do
    nodes
    |> Enum.sort()
    |> Enum.max_by(&:erlang.phash2({guild_id, &1}, 4_294_967_296))
  end

  @doc """
  Starts the guild's process on `opts[:node]` (default: `place/2`), with
  the options of `Roster.Guild.start_link/1`.
  """
  @spec start_guild(term(), keyword()) :: {:ok, pid()} | {:error, term()}
  def start_guild(guild_id, opts \\ []) do
    {node, opts} = Keyword.pop_lazy(opts, :node, fn -> place(guild_id) end)
    :erpc.call(node, GenServer, :start, [Roster.Guild, Keyword.put(opts, :cluster_id, guild_id)])
  end

  @doc "The guild's process, or nil."
  @spec whereis(term()) :: pid() | nil
  def whereis(guild_id), do: pick(:pg.get_members(@scope, {:guild, guild_id}), nil)

  @doc false
  # The process to use among a guild's group members (this node's first),
  # leaving out any on `dead`: :pg drops a dead node's members only when
  # its own nodedown arrives, which may come after the watcher's.
  def pick(pids, dead) do
    case Enum.reject(pids, &(node(&1) == dead)) do
      [] -> nil
      live -> live |> Enum.sort_by(&(node(&1) != node())) |> hd()
    end
  end

  @doc """
  Sends member events to the guild wherever it is. `:pg` learns of a
  hand-off on each node asynchronously: for a moment the guild may be in
  no process of the group as this node sees it, so this waits for it (up
  to `timeout` ms) instead of dropping the events.
  """
  @spec events(term(), [Roster.event()], non_neg_integer()) :: :ok | {:error, :not_found}
  def events(guild_id, events, timeout \\ 5_000) do
    case whereis(guild_id) do
      nil when timeout > 0 ->
        Process.sleep(1)
        events(guild_id, events, timeout - 1)

      nil ->
        {:error, :not_found}

      pid ->
        Roster.Guild.events(pid, events)
    end
  end

  @doc """
  Moves the live guild to `node` and returns its new process. Events sent
  to the old process meanwhile are applied by the new one, in order.
  """
  @spec handoff(term(), node(), timeout()) :: {:ok, pid()} | {:error, term()}
  def handoff(guild_id, node, timeout \\ 30_000) do
    case whereis(guild_id) do
      nil -> {:error, :not_found}
      pid -> GenServer.call(pid, {:guild, {:hand_off, node}}, timeout)
    end
  end

  @doc """
  Sends member events and returns once the guild has logged them (with a
  `:store`) and applied them: acknowledged events survive the death of the
  guild's node.
  """
  @spec events_sync(term(), [Roster.event()], timeout()) :: :ok | {:error, term()}
  def events_sync(guild_id, events, timeout \\ 5_000) do
    case whereis(guild_id) do
      nil when timeout > 0 ->
        Process.sleep(1)
        events_sync(guild_id, events, timeout - 1)

      nil ->
        {:error, :not_found}

      pid ->
        GenServer.call(pid, {:guild, {:events, events}}, 30_000)
    end
  end

  @doc """
  Starts this node's watcher (not linked): when a node goes down, the
  guilds the store recorded on it that rendezvous hashing now places on
  this node are restarted here from the store (last snapshot, then the
  logged batches; their sessions subscribe again and get a fresh SYNC).
  `guild_opts` are the options of `Roster.Guild.start_link/1` (config, ...).

  Returns once the watcher is registered and monitoring nodes: a node lost
  after that is seen. `{:error, {:already_started, pid}}` when a watcher
  already runs on this node.
  """
  @spec watch(Roster.Cluster.Store.store(), keyword()) :: {:ok, pid()} | {:error, term()}
  def watch(store, guild_opts \\ []) do
    caller = self()
    ref = make_ref()

    {pid, mon} =
      spawn_monitor(fn ->
        try do
          Process.register(self(), @watcher)
        rescue
          ArgumentError -> exit({:already_started, Process.whereis(@watcher)})
        end

        :ok = :net_kernel.monitor_nodes(true)
        send(caller, {ref, :watching})
        watch_loop(store, guild_opts)
      end)

    # Until the watcher is registered, a :node_lost that another node's
    # watcher sends here is dropped, and the dead node's guilds that this
    # node wins would stay down: the caller may rely on it once this returns.
    receive do
      {^ref, :watching} ->
        Process.demonitor(mon, [:flush])
        {:ok, pid}

      {:DOWN, ^mon, :process, ^pid, reason} ->
        {:error, reason}
    end
  end

  # A node sees another go down only if it was connected to it, and the
  # node that placement picks for a guild may not have been: the watcher
  # that sees a node go down tells the others' watchers.
  defp watch_loop(store, guild_opts) do
    receive do
      {:nodedown, dead} ->
        for n <- Node.list(), do: send({@watcher, n}, {:node_lost, dead})
        restart(store, guild_opts, dead)
        watch_loop(store, guild_opts)

      {:node_lost, dead} ->
        restart(store, guild_opts, dead)
        watch_loop(store, guild_opts)

      _ ->
        watch_loop(store, guild_opts)
    end
  end

  defp restart(store, guild_opts, dead) do
    alive = [node() | Node.list()] -- [dead]

    for id <- Roster.Cluster.Store.guilds_on(store, dead),
        place(id, alive) == node(),
        pick(:pg.get_members(@scope, {:guild, id}), dead) == nil do
      opts = guild_opts ++ [store: store, restore: true, cluster_id: id]
      {:ok, _} = GenServer.start(Roster.Guild, opts)
    end
  end

  @doc false
  def join(guild_id, pid), do: :pg.join(@scope, {:guild, guild_id}, pid)
  @doc false
  def leave(guild_id, pid), do: :pg.leave(@scope, {:guild, guild_id}, pid)

  @doc "How long an old process forwards after a hand-off (ms)."
  @spec retire_after() :: non_neg_integer()
  def retire_after, do: Application.get_env(:roster, :retire_after, 5_000)
end
