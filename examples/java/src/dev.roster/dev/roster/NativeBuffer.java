package dev.roster;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A block of native memory (JNA {@link Memory}: malloc'd, so aligned for any
 * C type, freed when the object is garbage-collected) with a direct
 * ByteBuffer over it in native byte order: Java writes and reads the C
 * structs through the buffer (plain memory accesses, no JNI call), and C
 * gets {@link #pointer()}. It grows on demand; growing moves it.
 */
final class NativeBuffer {
    private Memory memory;
    private ByteBuffer buffer;
    private long address;

    NativeBuffer(int capacity) {
        allocate(Math.max(capacity, 64));
    }

    private void allocate(int capacity) {
        memory = new Memory(capacity);
        memory.clear();
        buffer = memory.getByteBuffer(0, capacity).order(ByteOrder.nativeOrder());
        address = Pointer.nativeValue(memory);
    }

    /**
     * Makes room for capacity bytes; when it must grow, the first keep bytes
     * are copied to the new block (the rest is zero) and the old addresses
     * no longer hold.
     */
    NativeBuffer ensure(long capacity, int keep) {
        if (capacity > buffer.capacity()) {
            if (capacity > Integer.MAX_VALUE - 8) {
                throw new OutOfMemoryError("a native buffer of " + capacity + " bytes");
            }
            long grown = Math.max(capacity, 2L * buffer.capacity());
            ByteBuffer old = buffer;
            Memory keepAlive = memory;
            allocate((int) Math.min(grown, Integer.MAX_VALUE - 8));
            if (keep > 0) {
                buffer.put(0, old, 0, keep);
            }
            Reference.reachabilityFence(keepAlive);
        }
        return this;
    }

    /** Makes room for capacity bytes; the contents are not kept. */
    NativeBuffer ensure(long capacity) {
        return ensure(capacity, 0);
    }

    /** Sets bytes [0, n) to zero. */
    NativeBuffer zero(int n) {
        memory.setMemory(0, n, (byte) 0);
        return this;
    }

    ByteBuffer buffer() {
        return buffer;
    }

    /** The block, for C (the Memory object itself: it keeps the block alive during a call). */
    Pointer pointer() {
        return memory;
    }

    /** The block's address, to store in a C struct's pointer field. */
    long address() {
        return address;
    }

    int capacity() {
        return buffer.capacity();
    }
}
