package roster;

/**
 * Receives the frames of a guild (roster_frame_fn), on the thread that made
 * the flushing call, before that call returns. The frame is a copy: it stays
 * valid after the call. Inside the listener the guild may be queried; calls
 * that change it fail with EBUSY (except removing a session or
 * unsubscribing). An exception thrown here is rethrown by the flushing call
 * once the library has returned.
 */
@FunctionalInterface
public interface FrameListener {
    void onFrame(Frame frame);
}
