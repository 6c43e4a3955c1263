package dev.roster;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Native memory for a C array of fixed-size records (roster_event,
 * roster_member_spec) and the names and role arrays they point at: the
 * records in one growing block (handed to C whole), the variable data in
 * fixed blocks that never move, so a pointer written into a record stays
 * valid however the array grows. Written from Java through direct
 * ByteBuffers: filling an array makes no JNI call.
 */
final class RecordArena {
    private static final int DATA_BLOCK = 64 * 1024;

    private final int recordSize;
    private final NativeBuffer records;
    private int count;

    private final List<NativeBuffer> blocks = new ArrayList<>();
    private int block = -1;   // the block being filled
    private int blockUsed;    // its bytes in use

    RecordArena(int recordSize, int initialRecords) {
        this.recordSize = recordSize;
        this.records = new NativeBuffer(Math.max(1, initialRecords) * recordSize);
    }

    /** Appends a record; returns its byte offset in {@link #records()}. Its bytes are not cleared. */
    int append() {
        long end = (long) (count + 1) * recordSize;
        if (end > records.capacity()) {
            records.ensure(end, count * recordSize);
        }
        return count++ * recordSize;
    }

    ByteBuffer records() {
        return records.buffer();
    }

    NativeBuffer recordBlock() {
        return records;
    }

    int count() {
        return count;
    }

    /** Forgets every record and every stored datum; the memory is kept for reuse. */
    void clear() {
        count = 0;
        block = blocks.isEmpty() ? -1 : 0;
        blockUsed = 0;
    }

    /** Stores bytes; returns their address (0 for none). */
    long store(byte[] bytes) {
        if (bytes.length == 0) {
            return 0;
        }
        long at = reserve(bytes.length);
        ByteBuffer b = blocks.get(block).buffer();
        b.put(blockUsed - bytes.length, bytes);
        return at;
    }

    /** Stores uint64_t values, 8-byte aligned; returns their address (0 for none). */
    long store(long[] values) {
        if (values == null || values.length == 0) {
            return 0;
        }
        long at = reserve((long) values.length * 8);
        ByteBuffer b = blocks.get(block).buffer();
        int off = blockUsed - values.length * 8;
        for (long v : values) {
            b.putLong(off, v);
            off += 8;
        }
        return at;
    }

    /** Reserves n bytes at an 8-byte boundary of a data block; returns their address. */
    private long reserve(long n) {
        if (n > Integer.MAX_VALUE - 16) {
            throw new OutOfMemoryError("a datum of " + n + " bytes");
        }
        int start = (blockUsed + 7) & ~7;
        if (block < 0 || start + n > blocks.get(block).capacity()) {
            block++;
            if (block == blocks.size() || blocks.get(block).capacity() < n) {
                // A new block (a datum larger than DATA_BLOCK gets a block of its own).
                NativeBuffer fresh = new NativeBuffer((int) Math.max(DATA_BLOCK, n));
                if (block == blocks.size()) {
                    blocks.add(fresh);
                } else {
                    blocks.add(block, fresh);
                }
            }
            start = 0;
        }
        blockUsed = start + (int) n;
        return blocks.get(block).address() + start;
    }
}
