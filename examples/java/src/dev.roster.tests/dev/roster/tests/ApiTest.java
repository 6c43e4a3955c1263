package dev.roster.tests;

import dev.roster.EventBatch;
import dev.roster.Frame;
import dev.roster.FrameView;
import dev.roster.Group;
import dev.roster.Guild;
import dev.roster.GuildConfig;
import dev.roster.ListCounts;
import dev.roster.ListRule;
import dev.roster.Member;
import dev.roster.MemberBatch;
import dev.roster.Presence;
import dev.roster.Range;
import dev.roster.Role;
import dev.roster.Roster;
import dev.roster.RosterException;
import dev.roster.Row;
import dev.roster.Stats;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The binding's tests: every public method of dev.roster is called at
 * least once, with its error paths, through the exported API only. A plain
 * runner (no test framework is available offline): each public static
 * method named test* runs on its own; a failed check is printed and counted,
 * and the exit status is 1 when anything failed.
 * Usage: ApiTest [NAME_SUBSTRING]
 */
public final class ApiTest {
    private ApiTest() {}

    private static int checks;
    private static int failures;
    private static String current = "";

    public static void main(String[] args) throws Exception {
        List<Method> tests = new ArrayList<>();
        for (Method m : ApiTest.class.getDeclaredMethods()) {
            if (m.getName().startsWith("test") && Modifier.isStatic(m.getModifiers())
                    && Modifier.isPublic(m.getModifiers())
                    && (args.length == 0 || m.getName().contains(args[0]))) {
                tests.add(m);
            }
        }
        tests.sort((a, b) -> a.getName().compareTo(b.getName()));
        int broken = 0;
        for (Method m : tests) {
            current = m.getName();
            int before = failures;
            try {
                m.invoke(null);
            } catch (java.lang.reflect.InvocationTargetException e) {
                failures++;
                System.out.println("FAIL " + current + ": threw " + e.getCause());
                e.getCause().printStackTrace(System.out);
            }
            if (failures > before) {
                broken++;
            }
            System.out.println((failures > before ? "not ok " : "ok ") + current);
        }
        System.out.println("java binding tests: " + tests.size() + " tests, " + checks + " checks, "
                + broken + " failed");
        System.exit(failures == 0 && !tests.isEmpty() ? 0 : 1);
    }

    /* ---- Checking --------------------------------------------------------------- */

    private static void check(boolean ok, String what) {
        checks++;
        if (!ok) {
            failures++;
            System.out.println("FAIL " + current + ": " + what);
        }
    }

    private static void same(Object expected, Object actual, String what) {
        check(expected == null ? actual == null : expected.equals(actual),
                what + ": expected " + expected + ", got " + actual);
    }

    /** Runs body and requires a RosterException with the status (and returns it). */
    private static RosterException status(int expected, Runnable body, String what) {
        try {
            body.run();
        } catch (RosterException e) {
            same(expected, e.status(), what + " (status)");
            check(e.statusName().equals(Roster.statusName(expected)), what + " (name " + e.statusName() + ")");
            check(e.statusText().equals(Roster.statusString(expected)), what + " (text)");
            check(e.getMessage().contains(e.call()), what + " (message names the call)");
            return e;
        }
        check(false, what + ": no RosterException, expected " + Roster.statusName(expected));
        return null;
    }

    /** Runs body and requires an exception of the class. */
    private static Throwable throwsA(Class<? extends Throwable> type, Runnable body, String what) {
        try {
            body.run();
        } catch (Throwable t) {
            check(type.isInstance(t), what + ": expected " + type.getSimpleName() + ", got " + t);
            return t;
        }
        check(false, what + ": nothing thrown, expected " + type.getSimpleName());
        return null;
    }

    /** The scenario's guild of examples/README.md steps 1-3: roles 101..103, members 1001..1050, list 7. */
    private static Guild scenarioGuild() {
        Guild g = new Guild(new GuildConfig().chunkSize(10).maxRangeSpan(30));
        g.upsertRole(new Role(101, 3, Role.HOIST));
        g.upsertRole(new Role(102, 2, Role.HOIST));
        g.upsertRole(new Role(103, 1, Role.HOIST));
        Presence[] statuses = {Presence.ONLINE, Presence.IDLE, Presence.DND, Presence.OFFLINE};
        for (int i = 1; i <= 50; i++) {
            long[] roles = switch (i % 5) {
                case 0 -> new long[] {101};
                case 1 -> new long[] {102};
                case 2 -> new long[] {103};
                case 3 -> new long[] {101, 103};
                default -> null;
            };
            g.addMember(1000 + i, String.format("m%02d", i), roles, statuses[i % 4]);
        }
        g.setList(7, new ListRule(ListRule.Access.DENY, List.of(new ListRule.Overwrite(101, true)),
                List.of(new ListRule.Overwrite(1002, true), new ListRule.Overwrite(1005, false))));
        return g;
    }

    /* ---- Library-wide ------------------------------------------------------------- */

    public static void testVersionAndStatuses() {
        check(Roster.versionNumber() / 10000 == Roster.BINDING_VERSION / 10000, "major version matches");
        check(Roster.versionString().matches("\\d+\\.\\d+\\.\\d+.*"), "version string " + Roster.versionString());
        same("ok", Roster.statusString(Roster.OK), "roster_status_str(0)");
        same("unknown status", Roster.statusString(-1000), "roster_status_str of an unknown code");
        int[] codes = {Roster.OK, Roster.EINVAL, Roster.ENOTFOUND, Roster.EEXIST, Roster.ELIMIT,
            Roster.ENOMEM, Roster.EBUSY, Roster.ECORRUPT, Roster.EVERSION, Roster.EINTERNAL,
            Roster.EFLUSH, Roster.EIO};
        String[] names = {"OK", "EINVAL", "ENOTFOUND", "EEXIST", "ELIMIT", "ENOMEM", "EBUSY",
            "ECORRUPT", "EVERSION", "EINTERNAL", "EFLUSH", "EIO"};
        for (int i = 0; i < codes.length; i++) {
            same(-i, codes[i], "code of " + names[i]);
            same(names[i], Roster.statusName(codes[i]), "statusName");
            check(!Roster.statusString(codes[i]).equals("unknown status"), "the library knows " + names[i]);
        }
        same("UNKNOWN(-99)", Roster.statusName(-99), "statusName of an unknown code");
        same("UNKNOWN(5)", Roster.statusName(5), "statusName of a positive code");
        same(0xFFFF_FFFF_FFFF_FFFEL, Roster.GROUP_ONLINE, "GROUP_ONLINE");
        same(-1L, Roster.GROUP_OFFLINE, "GROUP_OFFLINE");
        same(1, Roster.SAVE_SESSIONS, "SAVE_SESSIONS");
    }

    /**
     * Every function of capi/roster.map (run.sh passes its path as the
     * property roster.map) is a native method of the binding's JNA mapping,
     * and nothing else is. (That each is called from the public API is what
     * the other tests show, one call at a time.)
     */
    public static void testCoversTheCApi() throws Exception {
        String map = System.getProperty("roster.map");
        if (map == null) {
            System.out.println("note: roster.map not set, the C API coverage is not checked");
            return;
        }
        java.util.Set<String> exported = new java.util.TreeSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^\\s*(roster_\\w+);", java.util.regex.Pattern.MULTILINE)
                .matcher(java.nio.file.Files.readString(java.nio.file.Path.of(map)));
        while (m.find()) {
            exported.add(m.group(1));
        }
        check(exported.size() >= 44, "the map lists " + exported.size() + " functions");
        // The class is loaded, not initialised: reading its declarations needs no access.
        Class<?> capi = Class.forName("dev.roster.CApi", false, Guild.class.getClassLoader());
        java.util.Set<String> bound = new java.util.TreeSet<>();
        for (Method n : capi.getDeclaredMethods()) {
            if (Modifier.isNative(n.getModifiers())) {
                bound.add(n.getName());
            }
        }
        same(exported, bound, "the functions bound");
    }

    public static void testValueTypes() {
        for (Presence p : Presence.values()) {
            same(p, Presence.of(p.code()), "Presence.of(code)");
        }
        same(3, Presence.DND.code(), "DND");
        throwsA(IllegalArgumentException.class, () -> Presence.of(4), "Presence.of(4)");
        throwsA(IllegalArgumentException.class, () -> Presence.of(-1), "Presence.of(-1)");
        same(2, ListRule.Access.DENY.code(), "Access.DENY");
        same(ListRule.Access.NONE, ListRule.of(ListRule.Access.NONE).everyone(), "ListRule.of");
        throwsA(NullPointerException.class, () -> new ListRule(null, List.of(), List.of()), "ListRule(null)");
        same(1, Role.HOIST, "HOIST");
        same(2, Role.VIEW, "VIEW");
        same(4, Role.ADMIN, "ADMIN");
        check(new Row(Row.HEADER, 3, 101, 0).isHeader() && !new Row(Row.MEMBER, 0, 101, 5).isHeader(), "Row.isHeader");
        same(new Range(1, 2), new Range(1, 2), "Range equality");
        same(new Group(1, 2), new Group(1, 2), "Group equality");
        same(new ListCounts(1, 2).onlineCount(), 2, "ListCounts");
        long[] roles = {1, 2};
        Member m = new Member(5, "x", Presence.IDLE, 1, roles);
        roles[0] = 9;
        same(1L, m.roles()[0], "Member copies its roles");
        m.roles()[1] = 9;
        same(2L, m.roles()[1], "Member.roles() is a copy");
        same(m, new Member(5, "x", Presence.IDLE, 1, new long[] {1, 2}), "Member equality");
        same(m.hashCode(), new Member(5, "x", Presence.IDLE, 1, new long[] {1, 2}).hashCode(), "Member hash");
        check(!m.equals(new Member(5, "x", Presence.IDLE, 1, new long[] {1})), "Member inequality");
        check(m.toString().contains("roles=[1, 2]"), "Member.toString " + m);
        ListRule.Overwrite o = new ListRule.Overwrite(7, true);
        check(o.id() == 7 && o.allow(), "Overwrite");
        List<Long> sessions = new ArrayList<>(List.of(1L));
        Frame f = new Frame(1, sessions, 2, 1, List.of(new Group(Roster.GROUP_ONLINE, 1)),
                List.of(new Frame.Op.Delete(0), new Frame.Op.Unknown(9, 1, 2, List.of())));
        sessions.add(2L);
        same(List.of(1L), f.sessions(), "a Frame keeps its own lists");
        check(f.ops().get(1) instanceof Frame.Op.Unknown u && u.kind() == 9 && u.rows().isEmpty(), "Op.Unknown");
        throwsA(UnsupportedOperationException.class, () -> f.groups().add(new Group(1, 1)), "a Frame's lists are immutable");
        Stats st = new Stats(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, java.time.Duration.ZERO, java.time.Duration.ofNanos(12));
        same(12L, st.maxFlush().toNanos(), "Stats");
    }

    /* ---- Guild lifetime ------------------------------------------------------------------ */

    public static void testCreateConfigAndClose() {
        try (Guild g = new Guild()) {
            same(0, g.memberCount(), "a new guild is empty");
            same(1, g.stats().lists(), "list 0 exists");
        }
        GuildConfig all = new GuildConfig().offlineThreshold(5).everyoneView(true).maxMembers(1000)
                .maxRoles(10).maxRolesPerMember(2).maxLists(1).maxOverwrites(2).maxSortKeyBytes(4)
                .chunkSize(10).maxRanges(2).maxRangeSpan(20).maxSessionLists(1).maxSessions(2);
        Guild g = new Guild(all);
        // The limits hold.
        g.upsertRole(new Role(1, 1, 0));
        g.upsertRole(new Role(2, 2, 0));
        g.upsertRole(new Role(3, 3, 0));
        status(Roster.ELIMIT, () -> g.addMember(1, "a", new long[] {1, 2, 3}, Presence.ONLINE), "max_roles_per_member");
        g.addMember(1, "a", new long[] {1, 2}, Presence.ONLINE);
        status(Roster.ELIMIT, () -> g.setMemberSortKey(1, new byte[5]), "max_sort_key_bytes");
        g.setList(5, ListRule.of(ListRule.Access.ALLOW));
        status(Roster.ELIMIT, () -> g.setList(6, ListRule.of(ListRule.Access.ALLOW)), "max_lists");
        status(Roster.ELIMIT, () -> g.setList(5, new ListRule(ListRule.Access.NONE,
                List.of(new ListRule.Overwrite(1, true), new ListRule.Overwrite(2, true)),
                List.of(new ListRule.Overwrite(1, true)))), "max_overwrites");
        status(Roster.ELIMIT, () -> g.subscribe(1, 0, new Range(0, 9), new Range(20, 29), new Range(40, 49)), "max_ranges");
        status(Roster.ELIMIT, () -> g.subscribe(1, 0, new Range(0, 40)), "max_range_span");
        g.subscribe(1, 0, new Range(0, 9));
        status(Roster.ELIMIT, () -> g.subscribe(1, 5, new Range(0, 9)), "max_session_lists");
        g.subscribe(2, 0, new Range(0, 9));
        status(Roster.ELIMIT, () -> g.subscribe(3, 0, new Range(0, 9)), "max_sessions");
        same(List.of(new Range(0, 9)), g.sessionRanges(1, 0), "chunk size 10");
        check(!g.isClosed(), "open");
        g.close();
        check(g.isClosed(), "closed");
        g.close(); // harmless
        throwsA(IllegalStateException.class, g::memberCount, "a call after close");
        throwsA(IllegalStateException.class, () -> g.setFrameListener(null), "setFrameListener after close");
        throwsA(IllegalStateException.class, () -> g.save(0), "save after close");

        status(Roster.EINVAL, () -> new Guild(new GuildConfig().maxMembers(0)), "a zero limit");
        status(Roster.EINVAL, () -> new Guild(new GuildConfig().chunkSize(10001)), "above ROSTER_MAX_CHUNK_SIZE");
        status(Roster.EINVAL, () -> new Guild(new GuildConfig().maxRanges(500).maxRangeSpan(1000000)),
                "more than ROSTER_MAX_SUBSCRIPTION_CHUNKS");
        new Guild(new GuildConfig().maxLists(0).maxOverwrites(0).everyoneView(false)).close();
    }

    /** The DELETE indices sent when the last of seven members leaves a list one session holds in chunks of 5. */
    private static List<Integer> deletesWhenLastLeaves(boolean tailDeletes) {
        List<Integer> deletes = new ArrayList<>();
        try (Guild g = new Guild(new GuildConfig().chunkSize(5).tailDeletes(tailDeletes))) {
            for (int i = 1; i <= 7; i++) {
                g.addMember(i, "n" + i, new long[0], Presence.ONLINE);
            }
            g.subscribe(1, 0, new Range(0, 9));
            g.setFrameListener(f -> {
                for (int i = 0; i < f.opCount(); i++) {
                    if (f.opKind(i) == FrameView.DELETE) {
                        deletes.add(f.opIndex(i));
                    }
                }
            });
            g.removeMember(7);
        }
        return deletes;
    }

    /** roster_config.tail_deletes: the row leaving the end of the list gets a DELETE; without it, none. */
    public static void testTailDeletes() {
        same(List.of(7), deletesWhenLastLeaves(true), "tail deletes on");
        same(List.of(), deletesWhenLastLeaves(false), "tail deletes off");
    }

    public static void testGuildSettings() {
        try (Guild g = scenarioGuild()) {
            int before = g.listLength(0);
            g.setOfflineThreshold(10); // 50 members: offline ones hidden now
            check(g.listLength(0) < before, "crossing the threshold hides offline members");
            status(Roster.ENOTFOUND, () -> g.listIndexOf(0, 1003), "an offline member is hidden");
            g.setOfflineThreshold(1000);
            same(before, g.listLength(0), "and shows them again");
            // List 9 shows whoever may view the guild; list 0 shows every member.
            g.setList(9, ListRule.of(ListRule.Access.NONE));
            g.setEveryoneView(false);
            same(0, g.listCounts(9).memberCount(), "nobody may view the guild");
            same(50, g.listCounts(0).memberCount(), "list 0 shows every member");
            g.setEveryoneView(true);
            same(50, g.listCounts(9).memberCount(), "everyone again");
        }
    }

    /* ---- Roles and members ------------------------------------------------------------ */

    public static void testRoles() {
        try (Guild g = scenarioGuild()) {
            same(101L, g.listGroups(0).get(0).id(), "role 101 (position 3) first");
            g.reorderRoles(new long[] {101, 103}, new int[] {0, 9});
            same(103L, g.listGroups(0).get(0).id(), "role 103 first after the reorder");
            g.reorderRoles(new long[0], new int[0]);
            status(Roster.ENOTFOUND, () -> g.reorderRoles(new long[] {999}, new int[] {1}), "reorder an unknown role");
            status(Roster.EINVAL, () -> g.reorderRoles(new long[] {101, 101}, new int[] {1, 2}), "duplicate ids");
            throwsA(IllegalArgumentException.class, () -> g.reorderRoles(new long[] {101}, new int[0]), "length mismatch");
            status(Roster.EINVAL, () -> g.upsertRole(new Role(0, 1, 0)), "role id 0");
            status(Roster.EINVAL, () -> g.upsertRole(new Role(Roster.GROUP_ONLINE, 1, 0)), "a reserved id");
            status(Roster.EINVAL, () -> g.upsertRole(new Role(5, 1, 8)), "unknown flag bits");
            g.upsertRole(new Role(104, 4, Role.VIEW | Role.ADMIN));
            g.removeRole(104);
            status(Roster.ENOTFOUND, () -> g.removeRole(104), "remove an unknown role");
            g.removeRole(101);
            check(g.member(1005).roles().length == 0, "removing a role takes it from its holders");
        }
    }

    public static void testMembers() {
        try (Guild g = scenarioGuild()) {
            same(50, g.memberCount(), "member count");
            Member m = g.member(1003);
            same(new Member(1003, "m03", Presence.OFFLINE, Roster.GROUP_OFFLINE, new long[] {101, 103}), m, "member 1003");
            status(Roster.ENOTFOUND, () -> g.member(999), "an unknown member");
            status(Roster.EEXIST, () -> g.addMember(1001, "again", null, Presence.ONLINE), "add twice");
            status(Roster.EINVAL, () -> g.addMember(0, "zero", null, Presence.ONLINE), "user id 0");
            status(Roster.EINVAL, () -> g.addMember(2000, "", null, Presence.ONLINE), "an empty name");
            status(Roster.EINVAL, () -> g.addMember(2000, "x".repeat(129), null, Presence.ONLINE), "a name of 129 bytes");
            status(Roster.ENOTFOUND, () -> g.addMember(2000, "x", new long[] {999}, Presence.ONLINE), "an unknown role");
            g.addMember(2000, "Ünïcödé ✓", new long[0], Presence.DND);
            same("Ünïcödé ✓", g.member(2000).name(), "UTF-8 names round-trip");
            g.upsertMember(2000, "up", new long[] {102}, Presence.ONLINE);
            same(new Member(2000, "up", Presence.ONLINE, 102, new long[] {102}), g.member(2000), "upserted");
            g.upsertMember(2001, "new", null, Presence.IDLE);
            same(52, g.memberCount(), "upsert adds an unknown member");
            status(Roster.EINVAL, () -> g.upsertMember(2001, "", null, Presence.IDLE), "upsert with an empty name");

            g.setMemberStatus(2001, Presence.OFFLINE);
            same(Presence.OFFLINE, g.member(2001).status(), "status");
            status(Roster.ENOTFOUND, () -> g.setMemberStatus(999, Presence.ONLINE), "status of an unknown member");
            g.setMemberName(2001, "renamed");
            same("renamed", g.member(2001).name(), "name");
            status(Roster.EINVAL, () -> g.setMemberName(2001, ""), "an empty name");
            g.setMemberRoles(2001, 101, 102, 101);
            check(Arrays.equals(new long[] {101, 102}, g.member(2001).roles()), "roles (duplicates ignored)");
            g.setMemberRoles(2001);
            same(0, g.member(2001).roles().length, "no roles");
            status(Roster.ENOTFOUND, () -> g.setMemberRoles(2001, 999), "an unknown role");
            g.addMemberRole(2001, 103);
            g.addMemberRole(2001, 103);
            check(Arrays.equals(new long[] {103}, g.member(2001).roles()), "add_role (twice: nothing)");
            status(Roster.ENOTFOUND, () -> g.addMemberRole(2001, 999), "add an unknown role");
            g.removeMemberRole(2001, 103);
            g.removeMemberRole(2001, 103);
            same(0, g.member(2001).roles().length, "remove_role (twice: nothing)");
            status(Roster.ENOTFOUND, () -> g.removeMemberRole(999, 103), "remove_role of an unknown member");
            g.touchMember(2001);
            status(Roster.ENOTFOUND, () -> g.touchMember(999), "touch an unknown member");

            // Sort keys: "zzz" sorts first with key "a", back last without.
            g.setMemberName(1001, "zzz");
            g.setMemberStatus(1001, Presence.ONLINE);
            g.setMemberRoles(1001);
            int last = g.listIndexOf(0, 1001);
            g.setMemberSortKey(1001, new byte[] {'a'});
            check(g.listIndexOf(0, 1001) < last, "a sort key moves the member up");
            g.setMemberSortKey(1001, null);
            same(last, g.listIndexOf(0, 1001), "null restores the default key");
            status(Roster.EINVAL, () -> g.setMemberSortKey(1001, new byte[0]), "an empty key");
            status(Roster.ENOTFOUND, () -> g.setMemberSortKey(999, new byte[] {1}), "key of an unknown member");

            // Many roles: member() asks again when its first guess is short.
            long[] many = new long[40];
            for (int i = 0; i < many.length; i++) {
                many[i] = 500 + i;
                g.upsertRole(new Role(500 + i, 0, 0));
            }
            g.setMemberRoles(2001, many);
            check(Arrays.equals(many, g.member(2001).roles()), "40 roles");

            g.removeMember(2001);
            status(Roster.ENOTFOUND, () -> g.removeMember(2001), "remove twice");
            same(51, g.memberCount(), "after the removal");
        }
    }

    public static void testMemberBatches() {
        try (Guild g = new Guild()) {
            g.upsertRole(new Role(1, 1, Role.HOIST));
            MemberBatch b = new MemberBatch(2); // grows past its first capacity
            for (int i = 1; i <= 3000; i++) {
                b.add(i, "member " + i, i % 2 == 0 ? new long[] {1} : null, Presence.ONLINE);
            }
            same(3000, b.size(), "batch size");
            g.addMembers(b);
            same(3000, g.memberCount(), "bulk add");
            same(new Member(2999, "member 2999", Presence.ONLINE, Roster.GROUP_ONLINE, new long[0]), g.member(2999),
                    "a bulk-added member");
            same(new Member(3000, "member 3000", Presence.ONLINE, 1, new long[] {1}), g.member(3000), "with its role");

            // All or nothing, and which entry failed.
            b.clear();
            same(0, b.size(), "cleared");
            b.add(5000, "ok", null, Presence.IDLE).add(5001, "ok too", null, Presence.IDLE).add(10, "exists", null, Presence.IDLE);
            status(Roster.EEXIST, () -> g.addMembers(b), "roster_members_add of an existing member");
            same(-1L, status(Roster.EEXIST, () -> g.addMembers(b), "again").failedIndex(), "no index from roster_members_add");
            RosterException e = status(Roster.EEXIST, () -> g.addMembersAt(b), "roster_members_add_at");
            same(2L, e.failedIndex(), "the failing entry");
            check(e.getMessage().contains("index 2"), "the message says which");
            same(3000, g.memberCount(), "nothing added");
            b.clear().add(6000, "", null, Presence.ONLINE);
            same(0L, status(Roster.EINVAL, () -> g.addMembersAt(b), "an empty name").failedIndex(), "entry 0");
            b.clear().add(6000, "a", new long[] {77}, Presence.ONLINE);
            status(Roster.ENOTFOUND, () -> g.addMembersAt(b), "an unknown role");
            b.clear().add(6000, "dup", null, Presence.ONLINE).add(6000, "dup", null, Presence.ONLINE);
            same(1L, status(Roster.EEXIST, () -> g.addMembersAt(b), "an id given twice").failedIndex(), "the later entry");
            b.clear();
            g.addMembers(b);
            g.addMembersAt(b);
            b.add(6000, "fine", new long[] {1}, Presence.DND);
            g.addMembersAt(b);
            same(3001, g.memberCount(), "added at last");
        }
        try (Guild small = new Guild(new GuildConfig().maxMembers(2))) {
            MemberBatch b = new MemberBatch().add(1, "a", null, Presence.ONLINE).add(2, "b", null, Presence.ONLINE)
                    .add(3, "c", null, Presence.ONLINE);
            same(3L, status(Roster.ELIMIT, () -> small.addMembersAt(b), "max_members").failedIndex(),
                    "not about one entry: the batch's size");
        }
    }

    public static void testEventBatches() {
        try (Guild g = scenarioGuild()) {
            EventBatch b = new EventBatch(1);
            b.status(1001, Presence.ONLINE)
                    .name(1002, "renamed")
                    .roles(1003, 102)
                    .addRole(1004, 103)
                    .removeRole(1005, 101)
                    .touch(1006)
                    .add(1100, "added", new long[] {101}, Presence.DND)
                    .upsert(1101, "upserted", null, Presence.IDLE)
                    .remove(1007)
                    .roles(1008);
            same(10, b.size(), "ten events");
            int[] statuses = new int[12];
            Arrays.fill(statuses, 42);
            g.apply(b, statuses);
            check(Arrays.equals(new int[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 42, 42}, statuses),
                    "statuses " + Arrays.toString(statuses));
            same(Presence.ONLINE, g.member(1001).status(), "status event");
            same("renamed", g.member(1002).name(), "name event");
            check(Arrays.equals(new long[] {102}, g.member(1003).roles()), "roles event");
            check(Arrays.equals(new long[] {103}, g.member(1004).roles()), "add_role event");
            same(0, g.member(1005).roles().length, "remove_role event");
            same(new Member(1100, "added", Presence.DND, 101, new long[] {101}), g.member(1100), "add event");
            same("upserted", g.member(1101).name(), "upsert event");
            status(Roster.ENOTFOUND, () -> g.member(1007), "remove event");
            same(0, g.member(1008).roles().length, "roles event with no roles");

            // Failing events: the others still apply; the first failure is thrown.
            b.clear().status(999, Presence.ONLINE).name(1009, "").status(1010, Presence.DND).add(1001, "dup", null, Presence.ONLINE);
            int[] s = new int[4];
            RosterException e = status(Roster.ENOTFOUND, () -> g.apply(b, s), "the first failing event");
            check(Arrays.equals(new int[] {Roster.ENOTFOUND, Roster.EINVAL, Roster.OK, Roster.EEXIST}, s),
                    "per-event statuses " + Arrays.toString(s));
            same("roster_events_apply", e.call(), "the call");
            same(Presence.DND, g.member(1010).status(), "the good event applied");
            status(Roster.ENOTFOUND, () -> g.apply(b), "without statuses");
            throwsA(IllegalArgumentException.class, () -> g.apply(b, new int[3]), "statuses too short");

            // Empty, reused, and grown past its capacity with names and roles.
            g.apply(b.clear());
            for (int i = 0; i < 5000; i++) {
                b.name(1011, "name " + i).roles(1012, 101, 102, 103);
            }
            g.apply(b);
            same("name 4999", g.member(1011).name(), "the last of 5000 renames");
            b.clear().name(1011, "x".repeat(128)).name(1013, "y");
            g.apply(b);
            same("y", g.member(1013).name(), "after a reuse");
        }
    }

    /* ---- Lists ---------------------------------------------------------------------- */

    public static void testLists() {
        try (Guild g = scenarioGuild()) {
            ListCounts c = g.listCounts(7);
            check(c.memberCount() > 0 && c.onlineCount() <= c.memberCount(), "counts of list 7 " + c);
            same(50, g.listCounts(0).memberCount(), "list 0 counts");
            List<Group> groups = g.listGroups(0);
            int length = 0;
            for (Group gr : groups) {
                length += gr.count() + 1;
            }
            same(g.listLength(0), length, "length = sum of count + 1 over the groups");
            List<Row> rows = g.listRows(0, 0, -1); // to the end (end clipped)
            same(length, rows.size(), "every row");
            check(rows.get(0).isHeader() && rows.get(0).group() == groups.get(0).id()
                    && rows.get(0).count() == groups.get(0).count(), "row 0 is the first header");
            for (int i = 0; i < rows.size(); i++) {
                if (!rows.get(i).isHeader()) {
                    same(i, g.listIndexOf(0, rows.get(i).user()), "index_of row " + i);
                }
            }
            same(List.of(), g.listRows(0, 1000, 2000), "past the end: nothing");
            same(rows.subList(5, 8), g.listRows(0, 5, 7), "rows 5..7");
            status(Roster.EINVAL, () -> g.listRows(0, 5, 4), "end below start");
            status(Roster.ENOTFOUND, () -> g.listRows(8, 0, 1), "an unknown list");
            status(Roster.ENOTFOUND, () -> g.listLength(8), "length of an unknown list");
            status(Roster.ENOTFOUND, () -> g.listCounts(8), "counts of an unknown list");
            status(Roster.ENOTFOUND, () -> g.listGroups(8), "groups of an unknown list");
            status(Roster.ENOTFOUND, () -> g.listIndexOf(7, 1005), "member 1005 is denied in list 7");
            g.listIndexOf(7, 1002); // allowed by its overwrite
            status(Roster.EINVAL, () -> g.setList(0, ListRule.of(ListRule.Access.DENY)), "list 0 cannot change");
            status(Roster.EINVAL, () -> g.setList(9, new ListRule(ListRule.Access.NONE,
                    List.of(new ListRule.Overwrite(101, true), new ListRule.Overwrite(101, false)), List.of())),
                    "a role named twice");
            status(Roster.EINVAL, () -> g.setList(9, new ListRule(ListRule.Access.NONE, List.of(),
                    List.of(new ListRule.Overwrite(0, true)))), "id 0 in an overwrite");
            g.setList(9, ListRule.of(ListRule.Access.NONE));
            same(50, g.listCounts(9).memberCount(), "an empty rule: everyone who may view the guild");
            g.removeList(9);
            status(Roster.ENOTFOUND, () -> g.removeList(9), "remove twice");
            status(Roster.EINVAL, () -> g.removeList(0), "list 0 cannot be removed");
        }
    }

    /* ---- Sessions and frames ------------------------------------------------------------ */

    public static void testFramesAndView() {
        try (Guild g = scenarioGuild()) {
            List<Frame> copies = new ArrayList<>();
            FrameView[] kept = new FrameView[1];
            g.setFrameListener(f -> {
                kept[0] = f;
                check(f.isValid(), "valid during the call");
                Frame c = f.copy();
                copies.add(c);
                // The view and its copy agree.
                same(c.listId(), f.listId(), "listId");
                same(c.memberCount(), f.memberCount(), "memberCount");
                same(c.onlineCount(), f.onlineCount(), "onlineCount");
                same(c.sessions().size(), f.sessionCount(), "sessionCount");
                same(c.groups().size(), f.groupCount(), "groupCount");
                same(c.ops().size(), f.opCount(), "opCount");
                for (int i = 0; i < f.opCount(); i++) {
                    int n = f.opRowCount(i);
                    for (int j = 0; j < n; j++) {
                        Row r = f.row(i, j);
                        same(new Row(f.rowKind(i, j), f.rowCount(i, j), f.rowGroup(i, j), f.rowUser(i, j)), r, "row");
                    }
                }
                throwsA(IndexOutOfBoundsException.class, () -> f.session(f.sessionCount()), "session index");
                throwsA(IndexOutOfBoundsException.class, () -> f.groupId(-1), "group index");
                throwsA(IndexOutOfBoundsException.class, () -> f.opKind(f.opCount()), "op index");
                if (f.opCount() > 0) {
                    throwsA(IndexOutOfBoundsException.class, () -> f.rowUser(0, f.opRowCount(0)), "row index");
                }
            });
            g.subscribe(1, 0, new Range(0, 9));
            same(1, copies.size(), "one frame for the new subscription");
            Frame f = copies.get(0);
            same(List.of(1L), f.sessions(), "for session 1");
            check(f.ops().size() == 1 && f.ops().get(0) instanceof Frame.Op.Sync s && s.start() == 0 && s.end() == 9
                    && s.rows().equals(g.listRows(0, 0, 9)), "a SYNC of rows 0..9: " + f.ops());
            same(g.listGroups(0), f.groups(), "the groups");
            check(!kept[0].isValid(), "invalid after the call");
            throwsA(IllegalStateException.class, () -> kept[0].listId(), "listId after the call");
            throwsA(IllegalStateException.class, () -> kept[0].opCount(), "opCount after the call");
            throwsA(IllegalStateException.class, () -> kept[0].copy(), "copy after the call");

            // Shared frames, each op kind.
            copies.clear();
            g.subscribe(2, 0, new Range(0, 9));
            g.setMemberStatus(1003, Presence.ONLINE); // offline to online: into role 101's section
            Frame shared = copies.get(copies.size() - 1);
            same(List.of(1L, 2L), shared.sessions().stream().sorted().toList(), "one frame for both sessions");
            g.setMemberName(1005, "m05b");
            g.touchMember(1005);
            g.subscribe(1, 0, new Range(10, 19));
            g.addMember(1200, "aaaa", new long[] {101}, Presence.ONLINE);
            g.removeMember(1200);
            boolean[] seen = new boolean[5];
            for (Frame fr : copies) {
                for (Frame.Op op : fr.ops()) {
                    if (op instanceof Frame.Op.Sync) {
                        seen[0] = true;
                    } else if (op instanceof Frame.Op.Insert) {
                        seen[1] = true;
                    } else if (op instanceof Frame.Op.Update u) {
                        seen[2] = true;
                        check(u.row() != null, "an UPDATE carries its row");
                    } else if (op instanceof Frame.Op.Delete) {
                        seen[3] = true;
                    } else if (op instanceof Frame.Op.Invalidate) {
                        seen[4] = true;
                    }
                }
            }
            check(Arrays.equals(new boolean[] {true, true, true, true, true}, seen), "every op kind seen " + Arrays.toString(seen));

            // Without a listener, nothing is delivered and sessions stay consistent.
            copies.clear();
            g.setFrameListener(null);
            g.setMemberStatus(1004, Presence.OFFLINE);
            same(0, copies.size(), "no listener, no frame");
            same(2, g.sessionCount(), "two sessions");
            same(List.of(new Range(10, 19)), g.sessionRanges(1, 0), "session 1's ranges");
            same(List.of(), g.sessionRanges(1, 7), "not subscribed to list 7");
            status(Roster.ENOTFOUND, () -> g.sessionRanges(99, 0), "ranges of an unknown session");
            g.unsubscribe(1, 0);
            same(List.of(), g.sessionRanges(1, 0), "unsubscribed");
            same(2, g.sessionCount(), "the session stays");
            g.removeSession(1);
            same(1, g.sessionCount(), "removed");
            status(Roster.ENOTFOUND, () -> g.removeSession(1), "remove twice");
            status(Roster.EINVAL, () -> g.subscribe(0, 0, new Range(0, 9)), "session id 0");
            status(Roster.ENOTFOUND, () -> g.subscribe(5, 8, new Range(0, 9)), "an unknown list");
            // Many ranges: sessionRanges asks again when its first guess is short.
            try (Guild wide = new Guild(new GuildConfig().chunkSize(1).maxRanges(20).maxRangeSpan(1))) {
                Range[] ranges = new Range[20];
                for (int i = 0; i < 20; i++) {
                    ranges[i] = new Range(3 * i, 3 * i);
                }
                wide.subscribe(1, 0, ranges);
                same(Arrays.asList(ranges), wide.sessionRanges(1, 0), "20 ranges");
            }
        }
    }

    /** The same script on two guilds: one with a listener, one with the frame queue. */
    private static void queueScript(Guild g, int step) {
        long id = 1001 + (step * 7919L) % 50;
        switch (step % 4) {
            case 0 -> g.setMemberStatus(id, Presence.values()[(step / 4) % 4]);
            case 1 -> g.setMemberName(id, "n" + (step * 31 % 97));
            case 2 -> g.touchMember(id);
            default -> g.subscribe(1 + step % 3, step % 2 == 0 ? 0 : 7, new Range(step % 20, step % 20 + 9));
        }
    }

    /** Touches every member: the sessions holding rows get frames. */
    private static void nudge(Guild g) {
        g.batchBegin();
        for (int i = 1; i <= 50; i++) {
            g.touchMember(1000 + i);
        }
        g.batchCommit();
    }

    public static void testFrameQueue() {
        try (Guild viaListener = scenarioGuild(); Guild viaQueue = scenarioGuild()) {
            List<Frame> want = new ArrayList<>();
            List<Frame> got = new ArrayList<>();
            viaListener.setFrameListener(f -> want.add(f.copy()));
            viaQueue.setFrameQueue(true);
            same(0, viaQueue.takeFrames(f -> got.add(f.copy())), "nothing queued yet");
            int taken = 0;
            for (int step = 0; step < 120; step++) {
                queueScript(viaListener, step);
                queueScript(viaQueue, step);
                if (step % 13 == 12) {
                    taken += viaQueue.takeFrames(f -> got.add(f.copy()));
                }
            }
            taken += viaQueue.takeFrames(f -> {
                // The view reads the record as it reads a callback frame.
                check(f.isValid(), "valid during the call");
                Frame c = f.copy();
                for (int i = 0; i < f.opCount(); i++) {
                    for (int j = 0; j < f.opRowCount(i); j++) {
                        same(new Row(f.rowKind(i, j), f.rowCount(i, j), f.rowGroup(i, j), f.rowUser(i, j)),
                                f.row(i, j), "row");
                    }
                }
                throwsA(IndexOutOfBoundsException.class, () -> f.session(f.sessionCount()), "session index");
                throwsA(IndexOutOfBoundsException.class, () -> f.opKind(f.opCount()), "op index");
                got.add(c);
            });
            check(want.size() > 50, "the script made frames: " + want.size());
            same(want.size(), taken, "frames taken");
            same(want, got, "the queue's frames equal the listener's");

            // A view is invalid after its call; a take inside a listener is refused;
            // the listener may change the guild (those frames come at the next take).
            FrameView[] kept = new FrameView[1];
            nudge(viaQueue);
            check(viaQueue.takeFrames(f -> {
                kept[0] = f;
                status(Roster.EBUSY, () -> viaQueue.takeFrames(x -> { }), "a take inside a take");
                status(Roster.EBUSY, () -> viaQueue.setFrameQueue(false), "queue off inside a take");
                Guild inner = viaQueue; // (not the resource variable: closing it here is the point)
                status(Roster.EBUSY, () -> inner.close(), "close inside a take");
                nudge(viaQueue);
            }) > 0, "a frame to take");
            throwsA(IllegalStateException.class, () -> kept[0].listId(), "listId after the call");
            check(viaQueue.takeFrames(f -> { }) > 0, "the listener's change came at the next take");

            // What the listener throws comes out at the end, after every frame.
            nudge(viaQueue);
            nudge(viaQueue);
            int[] calls = {0};
            Throwable t = throwsA(IllegalArgumentException.class, () -> viaQueue.takeFrames(f -> {
                calls[0]++;
                throw new IllegalArgumentException("listener " + calls[0]);
            }), "the listener's exception");
            check(calls[0] >= 2, "every frame delivered: " + calls[0]);
            check(t != null && t.getMessage().equals("listener 1") && t.getSuppressed().length == calls[0] - 1,
                    "the first exception, the others suppressed");
            same(0, viaQueue.takeFrames(f -> { }), "taken even when the listener threw");

            // Off: what is queued stays; new frames are dropped. A listener replaces the queue.
            nudge(viaQueue);
            viaQueue.setFrameQueue(false);
            nudge(viaQueue);
            same(1, viaQueue.takeFrames(f -> { }), "the frame queued before");
            List<Frame> heard = new ArrayList<>();
            viaQueue.setFrameQueue(true);
            viaQueue.setFrameListener(f -> heard.add(f.copy()));
            nudge(viaQueue);
            check(!heard.isEmpty(), "the listener hears");
            same(0, viaQueue.takeFrames(f -> { }), "the queue is off");
            throwsA(NullPointerException.class, () -> viaQueue.takeFrames(null), "null listener");
        }
        Guild closed = scenarioGuild();
        closed.close();
        throwsA(IllegalStateException.class, () -> closed.takeFrames(f -> { }), "take on a closed guild");
        throwsA(IllegalStateException.class, () -> closed.setFrameQueue(true), "queue on a closed guild");
    }

    public static void testBatchesAndFlush() {
        try (Guild g = scenarioGuild()) {
            int[] frames = {0};
            g.setFrameListener(f -> frames[0]++);
            g.subscribe(1, 0, new Range(0, 9));
            frames[0] = 0;
            g.batchBegin();
            g.batchBegin();
            g.setMemberStatus(1003, Presence.ONLINE);
            g.batchCommit();
            same(0, frames[0], "nothing before the outermost commit");
            status(Roster.EINVAL, g::flush, "flush inside a batch");
            status(Roster.EINVAL, () -> g.save(0), "save inside a batch");
            g.batchCommit();
            same(1, frames[0], "one frame at the commit");
            status(Roster.EINVAL, g::batchCommit, "commit without begin");
            g.flush(); // nothing owed: no frame
            same(1, frames[0], "flush with nothing to deliver");
            g.batch(() -> {
                g.setMemberStatus(1007, Presence.ONLINE);
                g.setMemberStatus(1011, Presence.ONLINE);
            });
            same(2, frames[0], "batch(Runnable): one frame");
            Throwable t = throwsA(IllegalStateException.class, () -> g.batch(() -> {
                g.setMemberStatus(1015, Presence.ONLINE);
                throw new IllegalStateException("body");
            }), "batch body throws");
            same("body", t.getMessage(), "the body's exception");
            same(3, frames[0], "the batch was committed all the same");
            status(Roster.EINVAL, g::batchCommit, "no batch left open");
        }
    }

    public static void testCallsInsideTheListener() {
        try (Guild g = scenarioGuild()) {
            List<String> log = new ArrayList<>();
            g.subscribe(1, 0, new Range(0, 9));
            g.subscribe(2, 0, new Range(20, 29));
            g.setFrameListener(f -> {
                // Queries see the guild as of this flush.
                log.add("members=" + g.memberCount() + " rows=" + g.listRows(0, 0, 2).size()
                        + " sessions=" + g.sessionCount() + " length=" + g.listLength(0));
                g.member(1001);
                g.listGroups(0);
                g.listCounts(0);
                g.sessionRanges(2, 0);
                g.stats();
                // Changes are refused, and so is close.
                status(Roster.EBUSY, () -> g.setMemberStatus(1001, Presence.DND), "a change inside the listener");
                status(Roster.EBUSY, () -> g.subscribe(3, 0, new Range(0, 9)), "a subscribe inside the listener");
                status(Roster.EBUSY, () -> g.setFrameListener(null), "setFrameListener inside the listener");
                status(Roster.EBUSY, g::flush, "flush inside the listener");
                status(Roster.EBUSY, g::batchBegin, "batchBegin inside the listener");
                status(Roster.EBUSY, () -> g.save(0), "save inside the listener");
                status(Roster.EBUSY, () -> g.apply(new EventBatch().touch(1001)), "apply inside the listener");
                status(Roster.EBUSY, () -> g.addMembers(new MemberBatch().add(3000, "x", null, Presence.ONLINE)),
                        "addMembers inside the listener");
                status(Roster.EBUSY, g::close, "close inside the listener");
                check(!g.isClosed(), "still open");
                // Removing a session and unsubscribing are allowed.
                if (f.sessionCount() == 1 && f.session(0) == 2) {
                    g.removeSession(2);
                }
            });
            g.setMemberStatus(1003, Presence.ONLINE);
            check(!log.isEmpty(), "the listener ran");
            same("members=50 rows=3 sessions=2 length=" + g.listLength(0), log.get(0), "queries inside");
            same(1, g.sessionCount(), "session 2 removed from inside the listener");

            // An exception thrown by the listener comes out of the call that flushed.
            g.setFrameListener(f -> {
                throw new IllegalArgumentException("from the listener");
            });
            Throwable t = throwsA(IllegalArgumentException.class, () -> g.setMemberStatus(1003, Presence.OFFLINE),
                    "the listener's exception");
            same("from the listener", t.getMessage(), "as thrown");
            same(Presence.OFFLINE, g.member(1003).status(), "the change was made");
            g.setFrameListener(f -> {
                throw new AssertionError("an error");
            });
            throwsA(AssertionError.class, () -> g.apply(new EventBatch().status(1003, Presence.ONLINE)), "an Error too");
            g.setFrameListener(null);
            g.setMemberStatus(1003, Presence.OFFLINE); // nothing left over
        }
    }

    /* ---- Snapshots and statistics ------------------------------------------------------------ */

    public static void testSnapshots() throws IOException {
        GuildConfig config = new GuildConfig().chunkSize(10).maxRangeSpan(30);
        try (Guild g = scenarioGuild()) {
            List<String> original = new ArrayList<>();
            g.setFrameListener(f -> original.add(f.copy().toString()));
            g.subscribe(1, 0, new Range(0, 9));
            g.subscribe(2, 7, new Range(0, 19));
            byte[] bytes = g.save(Roster.SAVE_SESSIONS);
            ByteArrayOutputStream stream = new ByteArrayOutputStream();
            g.save(Roster.SAVE_SESSIONS, stream);
            check(Arrays.equals(bytes, stream.toByteArray()), "save to bytes and to a stream agree");
            byte[] noSessions = g.save(0);
            status(Roster.EINVAL, () -> g.save(2), "unknown flags");

            try (Guild a = Guild.load(bytes, config); Guild b = Guild.load(new ByteArrayInputStream(bytes), config);
                 Guild c = Guild.load(bytes); Guild d = Guild.load(new ByteArrayInputStream(noSessions))) {
                same(2, a.sessionCount(), "sessions loaded");
                same(2, b.sessionCount(), "sessions loaded from a stream");
                same(2, c.sessionCount(), "default limits");
                same(0, d.sessionCount(), "saved without sessions");
                same(g.listRows(0, 0, 100), a.listRows(0, 0, 100), "the same rows");
                same(g.member(1003), b.member(1003), "the same member");
                same(0L, a.stats().frames(), "a loaded guild's counters start at 0");
                // The same events give the same frames.
                List<String> loaded = new ArrayList<>();
                a.setFrameListener(f -> loaded.add(f.copy().toString()));
                original.clear();
                g.setMemberStatus(1003, Presence.ONLINE);
                a.setMemberStatus(1003, Presence.ONLINE);
                check(!loaded.isEmpty(), "the loaded guild delivers");
                same(original, loaded, "identical frames");
            }

            // Limits, damage and stream failures.
            status(Roster.ELIMIT, () -> Guild.load(bytes, new GuildConfig().maxMembers(10)), "the snapshot exceeds a limit");
            status(Roster.EINVAL, () -> Guild.load(bytes, new GuildConfig().maxRoles(0)), "a refused config");
            byte[] damaged = bytes.clone();
            damaged[damaged.length / 2] ^= 0x55;
            status(Roster.ECORRUPT, () -> Guild.load(damaged), "damaged bytes");
            status(Roster.ECORRUPT, () -> Guild.load(Arrays.copyOf(bytes, bytes.length - 1)), "truncated bytes");
            status(Roster.ECORRUPT, () -> Guild.load(new byte[0]), "no bytes");
            status(Roster.ECORRUPT, () -> {
                try {
                    Guild.load(new ByteArrayInputStream(damaged)).close();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, "damaged bytes from a stream");
            try {
                Guild.load(new InputStream() {
                    @Override
                    public int read() throws IOException {
                        throw new IOException("read failed");
                    }
                }).close();
                check(false, "a failing input stream must throw");
            } catch (IOException e) {
                same("read failed", e.getMessage(), "the stream's IOException");
            }
            try {
                g.save(0, new OutputStream() {
                    @Override
                    public void write(int b) throws IOException {
                        throw new IOException("write failed");
                    }
                });
                check(false, "a failing output stream must throw");
            } catch (IOException e) {
                same("write failed", e.getMessage(), "the stream's IOException");
            }
            Throwable t = throwsA(UnsupportedOperationException.class, () -> {
                try {
                    g.save(0, new OutputStream() {
                        @Override
                        public void write(int b) {
                            throw new UnsupportedOperationException("unchecked");
                        }
                    });
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, "an unchecked exception of the stream");
            same("unchecked", t.getMessage(), "as thrown");

            // The stream runs inside the call: queries work, close is refused.
            int[] pieces = {0};
            g.save(0, new OutputStream() {
                @Override
                public void write(int b) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    pieces[0]++;
                    same(50, g.memberCount(), "a query from the save stream");
                    status(Roster.EBUSY, g::close, "close from the save stream");
                }
            });
            check(pieces[0] > 0, "the stream got the snapshot");
            check(!g.isClosed(), "still open after the save");
        }
        throwsA(NullPointerException.class, () -> Guild.load((byte[]) null), "load(null)");
    }

    public static void testLargeSnapshotInPieces() throws IOException {
        try (Guild g = new Guild()) {
            MemberBatch b = new MemberBatch();
            for (int i = 1; i <= 20000; i++) {
                b.add(i, "a rather long member name number " + i, null, Presence.of(i % 4));
            }
            g.addMembers(b);
            int[] writes = {0};
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            g.save(0, new OutputStream() {
                @Override
                public void write(int x) {
                    bytes.write(x);
                }

                @Override
                public void write(byte[] data, int off, int len) {
                    writes[0]++;
                    bytes.write(data, off, len);
                }
            });
            check(writes[0] > 1, "written in pieces: " + writes[0]);
            // A stream that hands out at most 1000 bytes per read.
            byte[] all = bytes.toByteArray();
            InputStream trickle = new ByteArrayInputStream(all) {
                @Override
                public synchronized int read(byte[] buf, int off, int len) {
                    return super.read(buf, off, Math.min(len, 1000));
                }
            };
            try (Guild loaded = Guild.load(trickle, null)) {
                same(20000, loaded.memberCount(), "loaded in small reads");
                same(g.member(12345), loaded.member(12345), "member 12345");
            }
        }
    }

    public static void testStats() {
        try (Guild g = scenarioGuild()) {
            int[] rows = {0};
            g.setFrameListener(f -> {
                for (int i = 0; i < f.opCount(); i++) {
                    rows[0] += f.opRowCount(i);
                }
            });
            g.subscribe(1, 0, new Range(0, 9));
            g.subscribe(2, 0, new Range(0, 9));
            g.setMemberStatus(1003, Presence.ONLINE);
            Stats s = g.stats();
            same(50, s.members(), "members");
            same(2, s.lists(), "lists");
            same(2, s.sessions(), "sessions");
            same(1L, s.subscriptions(), "one shared subscription");
            same(1L, s.chunksHeld(), "one chunk");
            check(s.memoryBytes() > 0, "memory");
            check(s.flushes() >= 3 && s.frames() == 3 && s.deliveries() == 4, "flushes/frames/deliveries " + s);
            same((long) rows[0], s.rows(), "rows as the listener counted them");
            check(s.ops() >= 3, "ops");
            check(!s.lastFlush().isNegative() && s.maxFlush().compareTo(s.lastFlush()) >= 0, "flush times");
        }
    }

    /* ---- The client model: frames read through the view rebuild the rows -------------- */

    /**
     * Random events on a guild with many sessions; each session's client
     * (docs/frames.md §5) applies the frames read through the FrameView, and
     * after every call its held rows must equal listRows over its ranges.
     * This exercises every accessor of the view on frames of every shape.
     */
    public static void testClientModelRandomEvents() {
        Random rnd = new Random(7);
        try (Guild g = new Guild(new GuildConfig().chunkSize(10).maxRangeSpan(40).maxRanges(3))) {
            for (int r = 1; r <= 6; r++) {
                g.upsertRole(new Role(r, r, r % 3 == 0 ? 0 : Role.HOIST));
            }
            MemberBatch mb = new MemberBatch();
            for (int i = 1; i <= 400; i++) {
                mb.add(i, "u" + rnd.nextInt(1000), rnd.nextBoolean() ? new long[] {1 + rnd.nextInt(6)} : null,
                        Presence.of(rnd.nextInt(4)));
            }
            g.addMembers(mb);
            Map<Long, List<Row>> clients = new HashMap<>();
            Consumer<FrameView> apply = f -> {
                if (f.listId() != 0) {
                    return;
                }
                for (int s = 0; s < f.sessionCount(); s++) {
                    List<Row> rows = clients.computeIfAbsent(f.session(s), k -> new ArrayList<>());
                    for (int i = 0; i < f.opCount(); i++) {
                        int index = f.opIndex(i);
                        switch (f.opKind(i)) {
                            case FrameView.SYNC -> {
                                for (int j = 0; j < f.opRowCount(i); j++) {
                                    while (rows.size() <= index + j) {
                                        rows.add(null);
                                    }
                                    rows.set(index + j, f.row(i, j));
                                }
                            }
                            case FrameView.UPDATE -> rows.set(index, f.row(i, 0));
                            case FrameView.INSERT -> {
                                while (rows.size() < index) {
                                    rows.add(null);
                                }
                                rows.add(index, f.row(i, 0));
                            }
                            case FrameView.DELETE -> rows.remove(index);
                            case FrameView.INVALIDATE -> {
                                for (int k = index; k <= f.opEnd(i) && k < rows.size(); k++) {
                                    rows.set(k, null);
                                }
                            }
                            default -> check(false, "unknown op kind " + f.opKind(i));
                        }
                    }
                    int length = 0;
                    for (int k = 0; k < f.groupCount(); k++) {
                        length += f.groupMembers(k) + 1;
                    }
                    while (rows.size() > length) {
                        rows.remove(rows.size() - 1);
                    }
                    while (rows.size() < length) {
                        rows.add(null);
                    }
                }
            };
            g.setFrameListener(apply::accept);
            for (long s = 1; s <= 12; s++) {
                int a = rnd.nextInt(400);
                int c = rnd.nextInt(400);
                g.subscribe(s, 0, new Range(a, a + rnd.nextInt(30)), new Range(c + rnd.nextInt(30), c));
            }
            EventBatch b = new EventBatch();
            long next = 401;
            for (int round = 0; round < 60; round++) {
                b.clear();
                int n = 1 + rnd.nextInt(round % 10 == 0 ? 200 : 20);
                for (int k = 0; k < n; k++) {
                    long u = 1 + rnd.nextInt((int) next);
                    switch (rnd.nextInt(10)) {
                        case 0 -> b.name(u, "n" + rnd.nextInt(1000));
                        case 1 -> b.roles(u, 1 + rnd.nextInt(6), 1 + rnd.nextInt(6));
                        case 2 -> b.addRole(u, 1 + rnd.nextInt(6));
                        case 3 -> b.removeRole(u, 1 + rnd.nextInt(6));
                        case 4 -> b.touch(u);
                        case 5 -> b.add(next++, "new" + rnd.nextInt(1000), null, Presence.of(rnd.nextInt(4)));
                        case 6 -> b.remove(u);
                        case 7 -> b.upsert(u, "up" + rnd.nextInt(1000), new long[] {1 + rnd.nextInt(6)}, Presence.ONLINE);
                        default -> b.status(u, Presence.of(rnd.nextInt(4)));
                    }
                }
                try {
                    g.apply(b);
                } catch (RosterException e) {
                    check(e.status() == Roster.ENOTFOUND || e.status() == Roster.EEXIST, "event failure " + e);
                }
                if (round % 7 == 3) {
                    long s = 1 + rnd.nextInt(12);
                    int a = rnd.nextInt(400);
                    g.subscribe(s, 0, new Range(a, a + rnd.nextInt(40)));
                }
                if (round == 30) {
                    g.reorderRoles(new long[] {1, 6}, new int[] {60, 10}); // INVALIDATE + SYNC
                }
                // Every session's client holds the true rows of its ranges.
                List<Row> truth = g.listRows(0, 0, -1);
                for (long s = 1; s <= 12; s++) {
                    List<Row> held = clients.getOrDefault(s, List.of());
                    for (Range r : g.sessionRanges(s, 0)) {
                        for (int k = r.start(); k <= r.end() && k < truth.size(); k++) {
                            Row h = k < held.size() ? held.get(k) : null;
                            if (!truth.get(k).equals(h)) {
                                check(false, "round " + round + " session " + s + " row " + k + ": " + h
                                        + " instead of " + truth.get(k));
                                return;
                            }
                        }
                    }
                }
                checks++;
            }
        }
    }
}
