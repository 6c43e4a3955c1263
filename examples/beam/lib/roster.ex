defmodule Roster do
  @moduledoc """
  roster's C API as plain functions: one guild's member list (sidebar), its
  lists, sessions and frames, kept by the engine in native memory.

  A guild is a NIF resource (an opaque reference). It is freed when no
  process references it any more (garbage collection, or the exit of the
  process holding it), or at once by `close/1`; a call on a closed guild
  returns `{:error, :closed}`. A guild may be used from several processes:
  the NIF serialises calls on one guild with a lock.

  Every function returns `:ok`, `{:ok, value}` or `{:error, reason}`:

    * `reason` is a roster status in lower case (`:einval`, `:enotfound`,
      `:eexist`, `:elimit`, `:enomem`, `:ebusy`, `:ecorrupt`, `:eversion`,
      `:einternal`, `:eflush`, `:eio`; see `status_code/1`);
    * `:badarg` when a term has the wrong type or shape (an id that is not
      an integer in 0..2^64-1, a name that is not a binary, a list of the
      wrong shape, ...): nothing is raised, and the guild is unchanged;
    * `:closed` for a guild closed before.

  ## Frames

  After each call that changes the guild or a subscription (or at the
  commit of a batch), every session with something new gets a frame. The
  guild's owner (the process that created or loaded it, or the one given
  to `set_owner/2`) receives each as a message

      {:roster_frame, list_id, sessions, frame}

  where `sessions` are the ids of the sessions the frame is for (sessions
  with identical subscriptions share one frame), and `frame` is a map:

      %{list_id: integer, member_count: integer, online_count: integer,
        groups: [{group, count}], ops: [op]}

  with `group` a role id or `:online` / `:offline`, and `op` one of

      {:sync, index, last, [row]}    # rows [index, last] (the rows that exist)
      {:insert, index, row}          # later rows shift down
      {:update, index, row}
      {:delete, index}               # later rows shift up
      {:invalidate, index, last}     # rows the session no longer holds

  and `row` either `{:header, group, count}` or `{:member, user_id, group}`.
  The messages are sent during the call, so they are in the owner's
  mailbox when the call returns.
  """

  @typedoc "A guild: a NIF resource."
  @type guild :: reference()
  @typedoc "A user, role, list or session id: 1..2^64-1 (0 is refused by roster)."
  @type id :: non_neg_integer()
  @typedoc "A member's status (`:invisible` is sent as `:offline`)."
  @type presence :: :online | :idle | :dnd | :offline | :invisible
  @typedoc "A roster status other than ok, or `:badarg` / `:closed`."
  @type reason :: atom()
  @type result :: :ok | {:error, reason()}
  @type result(value) :: {:ok, value} | {:error, reason()}
  @typedoc "A group: a hoisted role's id, or online / offline."
  @type group :: id() | :online | :offline
  @type row :: {:header, group(), non_neg_integer()} | {:member, id(), group()}
  @typedoc """
  Guild configuration: a keyword list or map of the fields of
  `roster_config` (`offline_threshold`, `everyone_view` (a boolean or 0/1),
  `max_members`, `max_roles`, `max_roles_per_member`, `max_lists`,
  `max_overwrites`, `max_sort_key_bytes`, `chunk_size`, `max_ranges`,
  `max_range_span`, `max_session_lists`, `max_sessions`, `tail_deletes` (a
  boolean or 0/1: a DELETE for every row that leaves the end of the list,
  for clients that never resize)); the others keep their defaults.
  """
  @type config :: keyword() | map()
  @typedoc "One event of `events_apply/2`."
  @type event ::
          {:status, id(), presence()}
          | {:name, id(), binary()}
          | {:roles, id(), [id()]}
          | {:add_role, id(), id()}
          | {:remove_role, id(), id()}
          | {:touch, id()}
          | {:add, id(), binary(), [id()], presence()}
          | {:upsert, id(), binary(), [id()], presence()}
          | {:remove, id()}

  alias Roster.NIF

  @codes %{
    ok: 0,
    einval: -1,
    enotfound: -2,
    eexist: -3,
    elimit: -4,
    enomem: -5,
    ebusy: -6,
    ecorrupt: -7,
    eversion: -8,
    einternal: -9,
    eflush: -10,
    eio: -11
  }

  @doc """
  The C status code of a result or a status atom (`:ok` 0, `:einval` -1,
  ... `:eio` -11), as the C API returns it. `nil` for `:badarg`, `:closed`
  and anything that is not a roster status.
  """
  @spec status_code(result() | {:ok, term()} | atom()) :: integer() | nil
  def status_code({:ok, _}), do: 0
  def status_code({:error, reason}), do: status_code(reason)
  def status_code(status) when is_atom(status), do: Map.get(@codes, status)

  @doc "The version of the linked library, e.g. `\"0.1.0\"`."
  @spec version() :: {:ok, String.t()}
  def version, do: NIF.version()

  @doc "Guilds alive in this VM (made, not yet freed or closed)."
  @spec live_guilds() :: {:ok, non_neg_integer()}
  def live_guilds, do: NIF.live_guilds()

  # ---- Guild ----------------------------------------------------------------

  @doc "Creates an empty guild owned by the calling process (frames go to it)."
  @spec new(config()) :: result(guild())
  def new(config \\ []), do: NIF.new(config)

  @doc "Frees the guild now; later calls on it return `{:error, :closed}`. Dirty."
  @spec close(guild()) :: result()
  def close(guild), do: NIF.close(guild)

  @doc "Where frames go: a local pid, or `nil` (frames are dropped)."
  @spec set_owner(guild(), pid() | nil) :: result()
  def set_owner(guild, pid), do: NIF.set_owner(guild, pid)

  @doc """
  How frames are sent: `:terms` (the default: the map described above) or
  `:json`, a binary of JSON shaped like the payload of Discord's
  GUILD_MEMBER_LIST_UPDATE (README.md, "Frames"), with each member item's
  nick, roles and status read from the guild. The message is
  `{:roster_frame, list_id, sessions, json}`.

  `:queue`: the frames of each call come together, as one binary of
  roster's frame queue (docs/frames.md §12) in one message
  `{:roster_frames, block}` per call that produced frames; `frames_decode/1`
  turns the block into the `{:roster_frame, ...}` messages `:terms` sends.
  A loaded guild starts with `:terms`.
  """
  @spec set_frame_format(guild(), :terms | :json | :queue) :: result()
  def set_frame_format(guild, format), do: NIF.set_frame_format(guild, format)

  @doc "Guild-wide @everyone VIEW. Dirty."
  @spec set_everyone_view(guild(), boolean()) :: result()
  def set_everyone_view(guild, view), do: NIF.set_everyone_view(guild, view)

  @doc "The offline threshold: offline members shown while members < it. Dirty."
  @spec set_offline_threshold(guild(), non_neg_integer()) :: result()
  def set_offline_threshold(guild, n), do: NIF.set_offline_threshold(guild, n)

  @doc "Number of members."
  @spec member_count(guild()) :: result(non_neg_integer())
  def member_count(guild), do: NIF.member_count(guild)

  @doc "Number of sessions."
  @spec session_count(guild()) :: result(non_neg_integer())
  def session_count(guild), do: NIF.session_count(guild)

  @doc "Opens a batch (nests): frames wait for the outermost `batch_commit/1`."
  @spec batch_begin(guild()) :: result()
  def batch_begin(guild), do: NIF.batch_begin(guild)

  @doc "Closes a batch level; the outermost commit delivers the frames. Dirty."
  @spec batch_commit(guild()) :: result()
  def batch_commit(guild), do: NIF.batch_commit(guild)

  @doc "Delivers frames still owed (after an `:eflush`). Dirty."
  @spec flush(guild()) :: result()
  def flush(guild), do: NIF.flush(guild)

  # ---- Roles ----------------------------------------------------------------

  @doc """
  Creates or changes a role. `flags`: a list of `:hoist`, `:view`, `:admin`
  (or the integer of `ROSTER_ROLE_*` bits). Dirty (a change re-sections
  every holder).
  """
  @spec role_upsert(guild(), id(), integer(), [:hoist | :view | :admin] | non_neg_integer()) ::
          result()
  def role_upsert(guild, id, position, flags \\ []),
    do: NIF.role_upsert(guild, id, position, flags)

  @doc "Removes a role from the guild and its holders. Dirty."
  @spec role_remove(guild(), id()) :: result()
  def role_remove(guild, id), do: NIF.role_remove(guild, id)

  @doc "Sets the positions of many roles at once: `[{role_id, position}]`. Dirty."
  @spec roles_reorder(guild(), [{id(), integer()}]) :: result()
  def roles_reorder(guild, positions), do: NIF.roles_reorder(guild, positions)

  # ---- Members --------------------------------------------------------------

  @doc "Adds a member (name: UTF-8, 1..128 bytes)."
  @spec member_add(guild(), id(), binary(), [id()], presence()) :: result()
  def member_add(guild, id, name, roles, status),
    do: NIF.member_add(guild, id, name, roles, status)

  @doc "Adds a member, or replaces an existing member's data."
  @spec member_upsert(guild(), id(), binary(), [id()], presence()) :: result()
  def member_upsert(guild, id, name, roles, status),
    do: NIF.member_upsert(guild, id, name, roles, status)

  @doc """
  Adds many new members at once, all or nothing: `[{id, name, roles,
  status}]`. On an error nothing is added. Dirty.
  """
  @spec members_add(guild(), [{id(), binary(), [id()], presence()}]) :: result()
  def members_add(guild, members), do: NIF.members_add(guild, members)

  @doc "Removes a member."
  @spec member_remove(guild(), id()) :: result()
  def member_remove(guild, id), do: NIF.member_remove(guild, id)

  @doc "Sets a member's status."
  @spec member_set_status(guild(), id(), presence()) :: result()
  def member_set_status(guild, id, status), do: NIF.member_set_status(guild, id, status)

  @doc "Renames a member."
  @spec member_set_name(guild(), id(), binary()) :: result()
  def member_set_name(guild, id, name), do: NIF.member_set_name(guild, id, name)

  @doc "A host sort key (bytes) replacing the default; `nil` restores the default."
  @spec member_set_sort_key(guild(), id(), binary() | nil) :: result()
  def member_set_sort_key(guild, id, key), do: NIF.member_set_sort_key(guild, id, key)

  @doc "Replaces a member's roles."
  @spec member_set_roles(guild(), id(), [id()]) :: result()
  def member_set_roles(guild, id, roles), do: NIF.member_set_roles(guild, id, roles)

  @doc "Gives a member one role."
  @spec member_add_role(guild(), id(), id()) :: result()
  def member_add_role(guild, id, role), do: NIF.member_add_role(guild, id, role)

  @doc "Takes one role from a member."
  @spec member_remove_role(guild(), id(), id()) :: result()
  def member_remove_role(guild, id, role), do: NIF.member_remove_role(guild, id, role)

  @doc "The member's data changed without moving it (avatar, activity)."
  @spec member_touch(guild(), id()) :: result()
  def member_touch(guild, id), do: NIF.member_touch(guild, id)

  @doc "A member's data: `%{id, name, status, group, roles}`."
  @spec member_get(guild(), id()) ::
          result(%{
            id: id(),
            name: binary(),
            status: presence(),
            group: group(),
            roles: [id()]
          })
  def member_get(guild, id), do: NIF.member_get(guild, id)

  @doc """
  Applies many member events in one call (`roster_events_apply`): each does
  what its own call does, a failing one changes nothing and the rest still
  apply; the frames of all of them are delivered once at the end. Returns
  `{:ok, statuses}`, each event's status (`:ok` or a reason) in order, or
  `{:error, reason}` when the call itself failed (nothing applied), or
  `{:error, :eflush}` (applied, frames owed: see `flush/1`). Dirty.
  """
  @spec events_apply(guild(), [event()]) :: result([:ok | reason()])
  def events_apply(guild, events), do: NIF.events_apply(guild, events)

  # ---- Lists ----------------------------------------------------------------

  @doc """
  Creates list `list_id`, or replaces its rule: `everyone` is `:none`,
  `:allow` or `:deny`; the overwrites are `[{id, :allow | :deny}]` for roles
  and for members. Dirty.
  """
  @spec list_set(
          guild(),
          id(),
          :none | :allow | :deny,
          [{id(), :allow | :deny}],
          [{id(), :allow | :deny}]
        ) :: result()
  def list_set(guild, list_id, everyone, roles \\ [], members \\ []),
    do: NIF.list_set(guild, list_id, everyone, roles, members)

  @doc "Removes a list (its subscribers get a last frame). Dirty."
  @spec list_remove(guild(), id()) :: result()
  def list_remove(guild, list_id), do: NIF.list_remove(guild, list_id)

  @doc "Number of rows of a list."
  @spec list_length(guild(), id()) :: result(non_neg_integer())
  def list_length(guild, list_id), do: NIF.list_length(guild, list_id)

  @doc "`{member_count, online_count}` of a list."
  @spec list_counts(guild(), id()) :: result({non_neg_integer(), non_neg_integer()})
  def list_counts(guild, list_id), do: NIF.list_counts(guild, list_id)

  @doc "The groups of a list, in order: `[{group, count}]`."
  @spec list_groups(guild(), id()) :: result([{group(), non_neg_integer()}])
  def list_groups(guild, list_id), do: NIF.list_groups(guild, list_id)

  @doc "Rows `first..last` of a list that exist."
  @spec list_rows(guild(), id(), non_neg_integer(), non_neg_integer()) :: result([row()])
  def list_rows(guild, list_id, first, last), do: NIF.list_rows(guild, list_id, first, last)

  @doc "The row of a member shown in a list."
  @spec list_index_of(guild(), id(), id()) :: result(non_neg_integer())
  def list_index_of(guild, list_id, user_id), do: NIF.list_index_of(guild, list_id, user_id)

  # ---- Sessions -------------------------------------------------------------

  @doc """
  Subscribes a session (made on first use) to row ranges `[{first, last}]`
  of a list, replacing its subscription to that list; `[]` unsubscribes.
  """
  @spec session_subscribe(guild(), id(), id(), [{non_neg_integer(), non_neg_integer()}]) ::
          result()
  def session_subscribe(guild, session_id, list_id, ranges),
    do: NIF.session_subscribe(guild, session_id, list_id, ranges)

  @doc "Unsubscribes a session from a list (the session stays)."
  @spec session_unsubscribe(guild(), id(), id()) :: result()
  def session_unsubscribe(guild, session_id, list_id),
    do: NIF.session_subscribe(guild, session_id, list_id, [])

  @doc "Removes a session and all its subscriptions."
  @spec session_remove(guild(), id()) :: result()
  def session_remove(guild, session_id), do: NIF.session_remove(guild, session_id)

  @doc "A session's normalised ranges for a list (whole chunks)."
  @spec session_ranges(guild(), id(), id()) ::
          result([{non_neg_integer(), non_neg_integer()}])
  def session_ranges(guild, session_id, list_id),
    do: NIF.session_ranges(guild, session_id, list_id)

  # ---- Statistics and snapshots ---------------------------------------------

  @doc """
  The guild's counters: a map of the fields of `roster_stats` (members,
  lists, sessions, subscriptions, chunks_held, memory_bytes, flushes,
  frames, deliveries, ops, rows, last_flush_ns, max_flush_ns).
  """
  @spec stats(guild()) :: result(%{atom() => non_neg_integer()})
  def stats(guild), do: NIF.stats(guild)

  @doc """
  The guild as a snapshot (a binary), with its sessions and what their
  clients hold when `sessions` is true. Dirty.
  """
  @spec save(guild(), boolean()) :: result(binary())
  def save(guild, sessions \\ true), do: NIF.save(guild, sessions)

  @doc """
  The snapshot `save/2` makes, sent while it is written to the local
  process `pid` as messages `{:roster_snapshot, tag, piece}`, pieces of
  `piece_bytes` (1 byte to 64 MiB; the last one shorter), in order; returns
  `{:ok, total_bytes}`. The messages are sent by the caller: what it sends
  to `pid` after the call comes after them. `{:error, :noproc}` when `pid`
  is not alive (some pieces may have gone). A process that forwards the
  pieces to another node lets them cross the network while the save still
  runs (`Roster.Guild`'s hand-off). Dirty.
  """
  @spec save_to(guild(), boolean(), pid(), term(), pos_integer()) :: result(non_neg_integer())
  def save_to(guild, sessions, pid, tag, piece_bytes \\ 262_144),
    do: NIF.save_to(guild, sessions, pid, tag, piece_bytes)

  @doc """
  A new guild from a snapshot, owned by the calling process; `config` gives
  the limits (as for `new/1`). Loading sends no frame. Dirty.
  """
  @spec load(binary(), config()) :: result(guild())
  def load(snapshot, config \\ []), do: NIF.load(snapshot, config)

  @typedoc "A snapshot being loaded as it arrives: a NIF resource."
  @type loader :: reference()

  @doc """
  Starts loading a snapshot whose bytes will come in pieces (a hand-off
  ships one that way): the load runs on a thread of its own, taking each
  piece `load_stream_feed/2` gives it as it comes, so that most of the work
  is done by the time the last piece arrives. `config` as for `load/1`.
  A loader dropped before `load_stream_finish/1` (its process exited) stops
  its thread and frees what it loaded.
  """
  @spec load_stream_open(config()) :: result(loader())
  def load_stream_open(config \\ []), do: NIF.load_stream_open(config)

  @doc """
  The next piece of the snapshot (any length; the pieces in order make the
  bytes `save/2` returned). `{:error, :einval}` after `load_stream_finish/1`.
  """
  @spec load_stream_feed(loader(), binary()) :: result()
  def load_stream_feed(loader, piece), do: NIF.load_stream_feed(loader, piece)

  @doc """
  Ends the bytes and waits for the load: the new guild, owned by the
  calling process, or the error `load/2` would have given for the same
  bytes (`{:error, :einval}` when finished before). Dirty (I/O: it waits).
  """
  @spec load_stream_finish(loader()) :: result(guild())
  def load_stream_finish(loader), do: NIF.load_stream_finish(loader)

  @doc """
  The frames of a `{:roster_frames, block}` message (`set_frame_format/2`
  with `:queue`) as the `{:roster_frame, list_id, sessions, frame}` tuples
  `:terms` would have sent, in order; `{:error, :badarg}` for a binary that
  is not a block of whole records. Made in the calling process; a block over
  64 KiB is decoded on a dirty scheduler.
  """
  @spec frames_decode(binary()) :: result([tuple()])
  def frames_decode(block) when is_binary(block) and byte_size(block) > 65_536,
    do: NIF.frames_decode_dirty(block)

  def frames_decode(block), do: NIF.frames_decode(block)
end
