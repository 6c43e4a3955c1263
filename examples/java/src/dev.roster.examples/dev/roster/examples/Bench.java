package dev.roster.examples;

import dev.roster.EventBatch;
import dev.roster.FrameListener;
import dev.roster.FrameView;
import dev.roster.Guild;
import dev.roster.MemberBatch;
import dev.roster.Presence;
import dev.roster.Range;
import dev.roster.Role;

import java.util.Locale;

/**
 * The host benchmark, Java version: exactly the workload of
 * examples/c/bench.c, through the binding's public API. 100,000 members,
 * 1,000 sessions, status changes applied with {@link Guild#apply(EventBatch)}
 * (roster_events_apply), 1,000 per call (each call flushes), and a frame
 * listener that reads every op and every row of every frame into a
 * checksum, with C's formula (long arithmetic wraps modulo 2^64 as C's
 * uint64_t does). The frames come through the frame queue
 * ({@link Guild#takeFrames} after each call: one crossing into C per call);
 * with the argument "listener", through a frame listener instead (one call
 * from C into Java per frame). No warm-up: as in C, the measured loop is the
 * whole event stream.
 * Usage: Bench [EVENTS [listener]]   (default 200000, the queue)
 * Prints one line: HOSTBENCH lang=java events=... seconds=... events_per_s=...
 * frames=... ops=... rows=... checksum=...
 */
public final class Bench {
    private Bench() {}

    private static final int MEMBERS = 100_000;
    private static final int SESSIONS = 1000;
    private static final int BATCH = 1000;
    /** roster_presence by C value: (v >> 13) % 4 picks one. */
    private static final Presence[] PRESENCE = {Presence.OFFLINE, Presence.ONLINE, Presence.IDLE, Presence.DND};

    /** What the listener folds in (bench.c's tally). */
    private static final class Tally {
        long frames;
        long ops;
        long rows;
        long checksum;

        /**
         * checksum: for every frame, list_id + member_count + online_count;
         * for every op, kind * 31 + index * 7 + end; for every row,
         * (user ^ group) + count; all summed modulo 2^64 (the 32-bit fields
         * are unsigned).
         */
        void onFrame(FrameView f) {
            long sum = f.listId() + Integer.toUnsignedLong(f.memberCount())
                    + Integer.toUnsignedLong(f.onlineCount());
            int opCount = f.opCount();
            for (int i = 0; i < opCount; i++) {
                sum += Integer.toUnsignedLong(f.opKind(i)) * 31 + Integer.toUnsignedLong(f.opIndex(i)) * 7
                        + Integer.toUnsignedLong(f.opEnd(i));
                int n = f.opRowCount(i);
                for (int j = 0; j < n; j++) {
                    sum += (f.rowUser(i, j) ^ f.rowGroup(i, j)) + Integer.toUnsignedLong(f.rowCount(i, j));
                }
                rows += Integer.toUnsignedLong(n);
            }
            ops += opCount;
            frames += 1;
            checksum += sum;
        }
    }

    public static void main(String[] args) {
        long events = args.length > 0 ? Long.parseUnsignedLong(args[0]) : 200_000;
        boolean queue = args.length < 2 || !args[1].equals("listener");
        Tally t = new Tally();
        try (Guild g = new Guild()) {
            long[][] roleIds = new long[10][];
            for (int i = 0; i < 10; i++) {
                g.upsertRole(new Role(i + 1, i + 1, Role.HOIST));
                roleIds[i] = new long[] {i + 1};
            }
            MemberBatch members = new MemberBatch(MEMBERS);
            for (int i = 0; i < MEMBERS; i++) {
                Presence status = i % 4 == 0 ? Presence.ONLINE : i % 4 == 1 ? Presence.IDLE : Presence.OFFLINE;
                members.add(i + 1, "m" + (i + 1), i % 3 == 0 ? roleIds[i % 10] : null, status);
            }
            g.addMembers(members);
            FrameListener listener = t::onFrame;
            if (queue) {
                g.setFrameQueue(true);
            } else {
                g.setFrameListener(listener);
            }
            for (int i = 1; i <= SESSIONS; i++) {
                int c = 1 + (int) (((long) i * 7919) % (MEMBERS / 100 - 1));
                g.subscribe(i, 0, new Range(0, 99), new Range(c * 100, c * 100 + 99));
            }
            if (queue) {
                g.takeFrames(listener);
            }

            EventBatch batch = new EventBatch(BATCH);
            long x = 42;
            long done = 0;
            long t0 = System.nanoTime();
            while (Long.compareUnsigned(done, events) < 0) {
                long n = Long.compareUnsigned(events - done, BATCH) < 0 ? events - done : BATCH;
                batch.clear();
                for (long k = 0; k < n; k++) {
                    x = x * 6364136223846793005L + 1442695040888963407L;
                    batch.status(1 + (x >>> 33) % MEMBERS, PRESENCE[(int) ((x >>> 13) % 4)]);
                }
                g.apply(batch);
                if (queue) {
                    g.takeFrames(listener);
                }
                done += n;
            }
            long t1 = System.nanoTime();
            double seconds = (t1 - t0) / 1e9;
            System.out.println(String.format(Locale.ROOT,
                    "HOSTBENCH lang=java%s events=%s seconds=%.3f events_per_s=%.0f frames=%s ops=%s rows=%s checksum=%s",
                    queue ? "" : "-listener", Long.toUnsignedString(events), seconds, events / seconds, Long.toUnsignedString(t.frames),
                    Long.toUnsignedString(t.ops), Long.toUnsignedString(t.rows),
                    Long.toUnsignedString(t.checksum)));
        }
    }
}
