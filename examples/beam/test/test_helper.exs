# The test on several nodes needs the emulator flags run.sh gives (no
# epmd: Roster.Cluster.Epmd); without them it is left out, and says so.
distributed = match?({:ok, _}, :init.get_argument(:epmd_module))

unless distributed do
  IO.puts(:stderr, "SKIPPED: the cluster test on several nodes (run through run.sh --test)")
end

ExUnit.start(exclude: if(distributed, do: [], else: [:distributed]))

defmodule Roster.TestHelper do
  @moduledoc false
  import ExUnit.Assertions

  # A guild with three hoisted roles, 50 members and list 7, as in the
  # host scenario; frames go to the caller.
  def scenario_guild(config \\ [chunk_size: 10, max_range_span: 30]) do
    {:ok, g} = Roster.new(config)

    for {id, pos} <- [{101, 3}, {102, 2}, {103, 1}],
        do: :ok = Roster.role_upsert(g, id, pos, [:hoist])

    members =
      for i <- 1..50 do
        roles = elem({[101], [102], [103], [101, 103], []}, rem(i, 5))
        status = elem({:online, :idle, :dnd, :offline}, rem(i, 4))
        {1000 + i, "m" <> String.pad_leading(Integer.to_string(i), 2, "0"), roles, status}
      end

    :ok = Roster.members_add(g, members)
    :ok = Roster.list_set(g, 7, :deny, [{101, :allow}], [{1002, :allow}, {1005, :deny}])
    g
  end

  # The frames in the caller's mailbox, in order.
  def frames(acc \\ []) do
    receive do
      {:roster_frame, _, _, _} = f -> frames([f | acc])
    after
      0 -> Enum.reverse(acc)
    end
  end

  # Waits (up to ~2 s) for fun to return true.
  def eventually(fun, tries \\ 200) do
    cond do
      fun.() ->
        :ok

      tries == 0 ->
        flunk("condition never became true")

      true ->
        Process.sleep(10)
        eventually(fun, tries - 1)
    end
  end

  # A client's copy of a list's rows, kept by applying frames as a client
  # does: SYNC writes without shifting, INSERT/DELETE shift, INVALIDATE
  # forgets, then the array is resized to sum(count + 1) over the groups.
  # Rows are kept in a map index => row (nil: not held).
  def apply_frame(rows, frame) do
    rows =
      Enum.reduce(frame.ops, rows, fn
        {:sync, i, _last, items}, r ->
          items
          |> Enum.with_index(i)
          |> Enum.reduce(r, fn {row, k}, acc -> Map.put(acc, k, row) end)

        {:insert, i, row}, r ->
          r |> shift(i, 1) |> Map.put(i, row)

        {:update, i, row}, r ->
          Map.put(r, i, row)

        {:delete, i}, r ->
          r |> Map.delete(i) |> shift(i + 1, -1)

        {:invalidate, i, last}, r ->
          Map.drop(r, Enum.to_list(i..last))
      end)

    size = Enum.reduce(frame.groups, 0, fn {_, n}, acc -> acc + n + 1 end)
    Map.reject(rows, fn {k, _} -> k >= size end)
  end

  defp shift(rows, from, by) do
    Map.new(rows, fn {k, v} -> if k >= from, do: {k + by, v}, else: {k, v} end)
  end

  # The replica holds exactly the true rows of the session's ranges.
  def assert_replica(g, replica, session, list) do
    {:ok, ranges} = Roster.session_ranges(g, session, list)

    expected =
      Enum.reduce(ranges, %{}, fn {a, b}, acc ->
        {:ok, rows} = Roster.list_rows(g, list, a, b)
        rows |> Enum.with_index(a) |> Enum.reduce(acc, fn {row, k}, m -> Map.put(m, k, row) end)
      end)

    held =
      Map.filter(replica, fn {k, _} -> Enum.any?(ranges, fn {a, b} -> k >= a and k <= b end) end)

    assert held == expected
  end
end
