defmodule Roster.Cluster.Store do
  @moduledoc """
  What a host must persist for each guild so that a node's death loses
  nothing acknowledged: the last periodic snapshot (without sessions), the
  batches of events applied since (an append-only log, written before they
  are applied), the sessions' subscriptions and their pids, and the node
  the guild runs on.

  This one is a process holding it in memory, on a node that the test does
  not kill; a deployment puts the same four things in durable, replicated
  storage (see README.md, "Roster.Cluster").
  """
  use GenServer

  @type store :: GenServer.server()

  @doc "Starts a store (not linked), registered as `name` on this node."
  @spec start(atom()) :: GenServer.on_start()
  def start(name), do: GenServer.start(__MODULE__, :ok, name: name)

  @doc "Appends a batch to the guild's log (before it is applied)."
  @spec append(store(), term(), [Roster.event()]) :: :ok
  def append(store, id, batch), do: GenServer.call(store, {:append, id, batch})

  @doc "A snapshot taken after every batch logged so far: the log is emptied."
  @spec snapshot(store(), term(), binary()) :: :ok
  def snapshot(store, id, bytes), do: GenServer.call(store, {:snapshot, id, bytes})

  @doc "The last snapshot (or nil) and the batches logged after it, in order."
  @spec fetch(store(), term()) :: {binary() | nil, [[Roster.event()]]}
  def fetch(store, id), do: GenServer.call(store, {:fetch, id})

  @doc "A session's subscription to a list (ranges [] removes it)."
  @spec subscription(store(), term(), Roster.id(), Roster.id(), list(), pid()) :: :ok
  def subscription(store, id, session, list, ranges, pid),
    do: GenServer.call(store, {:sub, id, session, list, ranges, pid})

  @doc "Forgets a session."
  @spec remove_session(store(), term(), Roster.id()) :: :ok
  def remove_session(store, id, session), do: GenServer.call(store, {:unsub, id, session})

  @doc "The subscriptions: `[{session, list, ranges, pid}]`."
  @spec subscriptions(store(), term()) :: [{Roster.id(), Roster.id(), list(), pid()}]
  def subscriptions(store, id), do: GenServer.call(store, {:subs, id})

  @doc "Records the node the guild runs on."
  @spec placed(store(), term(), node()) :: :ok
  def placed(store, id, node), do: GenServer.call(store, {:placed, id, node})

  @doc "The guilds recorded as running on `node`."
  @spec guilds_on(store(), node()) :: [term()]
  def guilds_on(store, node), do: GenServer.call(store, {:on, node})

  @impl true
  def init(:ok), do: {:ok, %{}}

  @impl true
  def handle_call(request, _from, state) do
    case request do
      {:append, id, batch} ->
        {:reply, :ok, update(state, id, fn g -> %{g | log: [batch | g.log]} end)}

      {:snapshot, id, bytes} ->
        {:reply, :ok, update(state, id, fn g -> %{g | snapshot: bytes, log: []} end)}

      {:fetch, id} ->
        g = get(state, id)
        {:reply, {g.snapshot, Enum.reverse(g.log)}, state}

      {:sub, id, session, list, [], _pid} ->
        {:reply, :ok,
         update(state, id, fn g -> %{g | subs: Map.delete(g.subs, {session, list})} end)}

      {:sub, id, session, list, ranges, pid} ->
        {:reply, :ok,
         update(state, id, fn g ->
           %{g | subs: Map.put(g.subs, {session, list}, {ranges, pid})}
         end)}

      {:unsub, id, session} ->
        {:reply, :ok,
         update(state, id, fn g ->
           %{g | subs: Map.reject(g.subs, fn {{s, _}, _} -> s == session end)}
         end)}

      {:subs, id} ->
        subs = for {{s, l}, {r, p}} <- get(state, id).subs, do: {s, l, r, p}
        {:reply, Enum.sort(subs), state}

      {:placed, id, node} ->
        {:reply, :ok, update(state, id, fn g -> %{g | node: node} end)}

      {:on, node} ->
        {:reply, for({id, %{node: ^node}} <- state, do: id), state}
    end
  end

  defp get(state, id), do: Map.get(state, id, %{snapshot: nil, log: [], subs: %{}, node: nil})
  defp update(state, id, fun), do: Map.put(state, id, fun.(get(state, id)))
end
