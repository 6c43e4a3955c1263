package dev.roster.examples;

import dev.roster.FrameView;
import dev.roster.Guild;
import dev.roster.GuildConfig;
import dev.roster.ListRule;
import dev.roster.Presence;
import dev.roster.Range;
import dev.roster.Role;
import dev.roster.Roster;
import dev.roster.RosterException;
import dev.roster.Row;
import dev.roster.Stats;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The Java host: runs the scenario of examples/README.md through the roster
 * binding and prints every frame in the canonical line format, formatted
 * here from the FrameView the listener receives (read in place, during the
 * callback).
 */
public final class Host {
    private Host() {}

    /** One event of step 5; a failure is a RosterException carrying the status. */
    @FunctionalInterface
    private interface Event {
        void run(Guild g);
    }

    private static final long[] NO_ROLES = {};

    public static void main(String[] args) {
        // Bytes exactly as formatted: UTF-8, "\n" line ends, flushed at the end.
        PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out)),
                false, StandardCharsets.UTF_8);
        if (Roster.versionNumber() / 10000 != Roster.BINDING_VERSION / 10000) {
            System.err.println("host-java: libroster " + Roster.versionString()
                    + " is not compatible with this binding");
            System.exit(1);
        }
        GuildConfig config = new GuildConfig().chunkSize(10).maxRangeSpan(30);
        try {
            byte[] snapshot;
            try (Guild g = new Guild(config)) {
                g.setFrameListener(frame -> out.print(frameLine(frame) + "\n"));

                out.print("# setup\n");
                setup(g);
                runEvents(out, g, 1, events());
                out.print(statsLine(g.stats()) + "\n");
                snapshot = g.save(Roster.SAVE_SESSIONS);
            }

            // The hand-off: the original guild is closed; load its snapshot and
            // set the listener again (a snapshot does not hold it).
            try (Guild g = Guild.load(snapshot, config)) {
                g.setFrameListener(frame -> out.print(frameLine(frame) + "\n"));
                out.print("# handoff\n");
                runEvents(out, g, 31, handoffEvents());
                out.print(statsLine(g.stats()) + "\n");
            }
        } catch (RosterException e) {
            // Setup steps must succeed; a failure there is a broken library.
            out.flush();
            System.err.println("host-java: " + e.getMessage());
            System.exit(1);
        }
        out.flush();
        if (out.checkError()) {
            System.err.println("host-java: writing the output failed");
            System.exit(1);
        }
    }

    /** Steps 1-4 of the scenario. */
    private static void setup(Guild g) {
        // 1. Roles, all hoisted.
        int[] positions = {3, 2, 1};
        for (int i = 0; i < 3; i++) {
            g.upsertRole(new Role(101 + i, positions[i], Role.HOIST));
        }
        // 2. Members m01..m50.
        Presence[] statuses = {Presence.ONLINE, Presence.IDLE, Presence.DND, Presence.OFFLINE};
        for (int i = 1; i <= 50; i++) {
            long[] roles = switch (i % 5) {
                case 0 -> new long[] {101};
                case 1 -> new long[] {102};
                case 2 -> new long[] {103};
                case 3 -> new long[] {101, 103};
                default -> NO_ROLES;
            };
            g.addMember(1000 + i, String.format("m%02d", i), roles, statuses[i % 4]);
        }
        // 3. List 7.
        g.setList(7, new ListRule(ListRule.Access.DENY,
                List.of(new ListRule.Overwrite(101, true)),
                List.of(new ListRule.Overwrite(1002, true), new ListRule.Overwrite(1005, false))));
        // 4. Sessions.
        g.subscribe(1, 0, new Range(0, 9));
        g.subscribe(2, 0, new Range(0, 9));
        g.subscribe(3, 0, new Range(25, 34), new Range(50, 59));
        g.subscribe(3, 7, new Range(0, 19));
    }

    /** Runs the events numbered from first, each between its "# n" and "= s" lines. */
    private static void runEvents(PrintStream out, Guild g, int first, List<Event> events) {
        for (int i = 0; i < events.size(); i++) {
            out.print("# " + (first + i) + "\n");
            int status = Roster.OK;
            try {
                events.get(i).run(g);
            } catch (RosterException e) {
                status = e.status();
            }
            out.print("= " + status + "\n");
        }
    }

    /** The stats line: the deterministic fields only (no memory figure, no flush times). */
    static String statsLine(Stats s) {
        return "stats members=" + u32(s.members()) + " lists=" + u32(s.lists())
                + " sessions=" + u32(s.sessions())
                + " subscriptions=" + Long.toUnsignedString(s.subscriptions())
                + " chunks_held=" + Long.toUnsignedString(s.chunksHeld())
                + " flushes=" + Long.toUnsignedString(s.flushes())
                + " frames=" + Long.toUnsignedString(s.frames())
                + " deliveries=" + Long.toUnsignedString(s.deliveries())
                + " ops=" + Long.toUnsignedString(s.ops())
                + " rows=" + Long.toUnsignedString(s.rows());
    }

    /** Step 5: the 30 events, in order. */
    private static List<Event> events() {
        return List.of(
                g -> g.setMemberStatus(1001, Presence.OFFLINE),             // 1
                g -> g.setMemberStatus(1004, Presence.ONLINE),              // 2
                g -> g.setMemberName(1010, "aaa"),                          // 3
                g -> g.setMemberName(1020, "zzz"),                          // 4
                g -> g.setMemberRoles(1003, 101),                           // 5
                g -> g.setMemberRoles(1015),                                // 6
                g -> g.addMember(1051, "m51", new long[] {102}, Presence.ONLINE), // 7
                g -> g.addMember(1052, "b52", NO_ROLES, Presence.IDLE),     // 8
                g -> g.removeMember(1030),                                  // 9
                g -> g.removeMember(1051),                                  // 10
                g -> g.touchMember(1002),                                   // 11
                g -> g.setMemberStatus(1008, Presence.IDLE),                // 12
                g -> g.addMemberRole(1012, 101),                            // 13
                g -> g.removeMemberRole(1013, 103),                         // 14
                Guild::batchBegin,                                          // 15
                g -> g.setMemberStatus(1016, Presence.OFFLINE),             // 16
                g -> g.setMemberStatus(1017, Presence.ONLINE),              // 17
                g -> g.setMemberName(1018, "c18"),                          // 18
                g -> g.addMember(1053, "m53", new long[] {101}, Presence.DND), // 19
                Guild::batchCommit,                                         // 20
                g -> g.setMemberStatus(1040, Presence.OFFLINE),             // 21
                g -> g.setMemberName(1005, "a05"),                          // 22
                g -> g.setMemberRoles(1025, 102, 103),                      // 23
                g -> g.removeMember(1005),                                  // 24
                g -> g.subscribe(2, 0, new Range(10, 19)),                  // 25
                g -> g.setMemberStatus(1036, Presence.ONLINE),              // 26
                g -> g.touchMember(1040),                                   // 27
                g -> g.unsubscribe(3, 7),                                   // 28
                g -> g.setMemberStatus(1024, Presence.DND),                 // 29
                g -> g.removeSession(1));                                   // 30
    }

    /** Step 8: the events on the loaded guild, numbered from 31. */
    private static List<Event> handoffEvents() {
        return List.of(
                g -> g.setMemberStatus(1011, Presence.ONLINE),              // 31
                g -> g.setMemberName(1012, "aab"),                          // 32
                g -> g.removeMember(1013),                                  // 33
                g -> g.subscribe(4, 0, new Range(0, 9)));                   // 34
    }

    /* ---- The canonical frame line (examples/README.md) ------------------------ */

    /** The frame's line, read from the view during the callback. */
    static String frameLine(FrameView f) {
        StringBuilder b = new StringBuilder("frame list=").append(Long.toUnsignedString(f.listId()));
        long[] sessions = new long[f.sessionCount()];
        for (int i = 0; i < sessions.length; i++) {
            sessions[i] = f.session(i);
        }
        // Unsigned order: flipping the sign bit maps it onto signed order.
        for (int i = 0; i < sessions.length; i++) {
            sessions[i] ^= Long.MIN_VALUE;
        }
        Arrays.sort(sessions);
        b.append(" sessions=");
        for (int i = 0; i < sessions.length; i++) {
            b.append(i > 0 ? "," : "").append(Long.toUnsignedString(sessions[i] ^ Long.MIN_VALUE));
        }
        b.append(" members=").append(u32(f.memberCount()))
                .append(" online=").append(u32(f.onlineCount()))
                .append(" groups=");
        if (f.groupCount() == 0) {
            b.append('-');
        }
        for (int i = 0; i < f.groupCount(); i++) {
            b.append(i > 0 ? "," : "").append(group(f.groupId(i))).append(':').append(u32(f.groupMembers(i)));
        }
        b.append(" ops=");
        if (f.opCount() == 0) {
            b.append('-');
        }
        for (int i = 0; i < f.opCount(); i++) {
            if (i > 0) {
                b.append(';');
            }
            op(b, f, i);
        }
        return b.toString();
    }

    private static void op(StringBuilder b, FrameView f, int i) {
        switch (f.opKind(i)) {
            case FrameView.SYNC -> {
                b.append("SYNC:").append(u32(f.opIndex(i))).append('-').append(u32(f.opEnd(i))).append(":[");
                for (int j = 0; j < f.opRowCount(i); j++) {
                    b.append(j > 0 ? "," : "").append(item(f.row(i, j)));
                }
                b.append(']');
            }
            case FrameView.INSERT -> b.append("INSERT:").append(u32(f.opIndex(i))).append(':').append(item(f.row(i, 0)));
            case FrameView.UPDATE -> b.append("UPDATE:").append(u32(f.opIndex(i))).append(':').append(item(f.row(i, 0)));
            case FrameView.DELETE -> b.append("DELETE:").append(u32(f.opIndex(i)));
            case FrameView.INVALIDATE -> b.append("INVALIDATE:").append(u32(f.opIndex(i))).append('-').append(u32(f.opEnd(i)));
            default -> b.append("UNKNOWN").append(u32(f.opKind(i)));
        }
    }

    /** H:ID:COUNT for a header, M:USER:ID for a member. */
    private static String item(Row r) {
        return r.isHeader()
                ? "H:" + group(r.group()) + ":" + u32(r.count())
                : "M:" + Long.toUnsignedString(r.user()) + ":" + group(r.group());
    }

    /** A role id in decimal, or online/offline for the reserved group ids. */
    private static String group(long id) {
        if (id == Roster.GROUP_ONLINE) {
            return "online";
        }
        if (id == Roster.GROUP_OFFLINE) {
            return "offline";
        }
        return Long.toUnsignedString(id);
    }

    private static String u32(int v) {
        return Integer.toUnsignedString(v);
    }
}
