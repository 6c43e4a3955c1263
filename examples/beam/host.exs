# The Elixir host: the shared scenario of examples/README.md through the
# Roster package (the NIF), printing every frame it receives in the
# canonical line format. Its output must equal examples/expected.txt.
defmodule Host do
  @config [chunk_size: 10, max_range_span: 30]

  def group(:online), do: "online"
  def group(:offline), do: "offline"
  def group(id), do: Integer.to_string(id)

  def item({:header, g, count}), do: ["H:", group(g), ":", Integer.to_string(count)]
  def item({:member, user, g}), do: ["M:", Integer.to_string(user), ":", group(g)]

  def op({:sync, i, last, items}),
    do: [
      "SYNC:",
      Integer.to_string(i),
      "-",
      Integer.to_string(last),
      ":[",
      Enum.map_intersperse(items, ",", &item/1),
      "]"
    ]

  def op({:insert, i, row}), do: ["INSERT:", Integer.to_string(i), ":", item(row)]
  def op({:update, i, row}), do: ["UPDATE:", Integer.to_string(i), ":", item(row)]
  def op({:delete, i}), do: ["DELETE:", Integer.to_string(i)]

  def op({:invalidate, i, last}),
    do: ["INVALIDATE:", Integer.to_string(i), "-", Integer.to_string(last)]

  def dash([], _fun, _sep), do: "-"
  def dash(list, fun, sep), do: Enum.map_intersperse(list, sep, fun)

  # Prints the frames the last call sent to this process, in order.
  def frames do
    receive do
      {:roster_frame, list_id, sessions, f} ->
        IO.write([
          "frame list=",
          Integer.to_string(list_id),
          " sessions=",
          sessions |> Enum.sort() |> Enum.map_join(",", &Integer.to_string/1),
          " members=",
          Integer.to_string(f.member_count),
          " online=",
          Integer.to_string(f.online_count),
          " groups=",
          dash(f.groups, fn {g, n} -> [group(g), ":", Integer.to_string(n)] end, ","),
          " ops=",
          dash(f.ops, &op/1, ";"),
          "\n"
        ])

        frames()
    after
      0 -> :ok
    end
  end

  def must(:ok, _what), do: :ok
  def must({:ok, value}, _what), do: value
  def must(other, what), do: raise("host-elixir: #{what} failed: #{inspect(other)}")

  def stats(g) do
    st = must(Roster.stats(g), "stats")

    fields =
      ~w(members lists sessions subscriptions chunks_held flushes frames deliveries ops rows)a

    IO.write([
      "stats ",
      Enum.map_intersperse(fields, " ", fn f ->
        [Atom.to_string(f), "=", Integer.to_string(st[f])]
      end),
      "\n"
    ])
  end

  def event(n, fun) do
    IO.write(["# ", Integer.to_string(n), "\n"])
    result = fun.()
    frames()
    IO.write(["= ", Integer.to_string(Roster.status_code(result)), "\n"])
  end

  def run do
    g = must(Roster.new(@config), "new")
    IO.write("# setup\n")

    for {id, pos} <- [{101, 3}, {102, 2}, {103, 1}],
        do: must(Roster.role_upsert(g, id, pos, [:hoist]), "role_upsert")

    statuses = {:online, :idle, :dnd, :offline}

    for i <- 1..50 do
      roles = elem({[101], [102], [103], [101, 103], []}, rem(i, 5))
      name = "m" <> String.pad_leading(Integer.to_string(i), 2, "0")
      must(Roster.member_add(g, 1000 + i, name, roles, elem(statuses, rem(i, 4))), "member_add")
    end

    must(
      Roster.list_set(g, 7, :deny, [{101, :allow}], [{1002, :allow}, {1005, :deny}]),
      "list_set"
    )

    must(Roster.session_subscribe(g, 1, 0, [{0, 9}]), "subscribe")
    must(Roster.session_subscribe(g, 2, 0, [{0, 9}]), "subscribe")
    must(Roster.session_subscribe(g, 3, 0, [{25, 34}, {50, 59}]), "subscribe")
    must(Roster.session_subscribe(g, 3, 7, [{0, 19}]), "subscribe")
    frames()

    events = [
      fn -> Roster.member_set_status(g, 1001, :offline) end,
      fn -> Roster.member_set_status(g, 1004, :online) end,
      fn -> Roster.member_set_name(g, 1010, "aaa") end,
      fn -> Roster.member_set_name(g, 1020, "zzz") end,
      fn -> Roster.member_set_roles(g, 1003, [101]) end,
      fn -> Roster.member_set_roles(g, 1015, []) end,
      fn -> Roster.member_add(g, 1051, "m51", [102], :online) end,
      fn -> Roster.member_add(g, 1052, "b52", [], :idle) end,
      fn -> Roster.member_remove(g, 1030) end,
      fn -> Roster.member_remove(g, 1051) end,
      fn -> Roster.member_touch(g, 1002) end,
      fn -> Roster.member_set_status(g, 1008, :idle) end,
      fn -> Roster.member_add_role(g, 1012, 101) end,
      fn -> Roster.member_remove_role(g, 1013, 103) end,
      fn -> Roster.batch_begin(g) end,
      fn -> Roster.member_set_status(g, 1016, :offline) end,
      fn -> Roster.member_set_status(g, 1017, :online) end,
      fn -> Roster.member_set_name(g, 1018, "c18") end,
      fn -> Roster.member_add(g, 1053, "m53", [101], :dnd) end,
      fn -> Roster.batch_commit(g) end,
      fn -> Roster.member_set_status(g, 1040, :offline) end,
      fn -> Roster.member_set_name(g, 1005, "a05") end,
      fn -> Roster.member_set_roles(g, 1025, [102, 103]) end,
      fn -> Roster.member_remove(g, 1005) end,
      fn -> Roster.session_subscribe(g, 2, 0, [{10, 19}]) end,
      fn -> Roster.member_set_status(g, 1036, :online) end,
      fn -> Roster.member_touch(g, 1040) end,
      fn -> Roster.session_unsubscribe(g, 3, 7) end,
      fn -> Roster.member_set_status(g, 1024, :dnd) end,
      fn -> Roster.session_remove(g, 1) end
    ]

    events |> Enum.with_index(1) |> Enum.each(fn {fun, n} -> event(n, fun) end)
    stats(g)

    # The hand-off: save with the sessions, close, load the bytes back;
    # the loaded guild is owned by this process, as the first one was.
    snapshot = must(Roster.save(g, true), "save")
    frames()
    must(Roster.close(g), "close")
    g = must(Roster.load(snapshot, @config), "load")
    IO.write("# handoff\n")

    [
      fn -> Roster.member_set_status(g, 1011, :online) end,
      fn -> Roster.member_set_name(g, 1012, "aab") end,
      fn -> Roster.member_remove(g, 1013) end,
      fn -> Roster.session_subscribe(g, 4, 0, [{0, 9}]) end
    ]
    |> Enum.with_index(31)
    |> Enum.each(fn {fun, n} -> event(n, fun) end)

    stats(g)
    must(Roster.close(g), "close")
  end
end

Host.run()
