package dev.roster;

/**
 * Receives the frames of a guild (roster_frame_fn), on the thread that made
 * the flushing call, before that call returns.
 *
 * The {@link FrameView} reads the library's frame in place and is valid
 * only during this call: read what you need, or keep
 * {@link FrameView#copy()}. Inside the listener the guild may be queried;
 * calls that change it fail with EBUSY (except removing a session or
 * unsubscribing), and so does {@link Guild#close()}. An exception thrown
 * here does not unwind through C: it is kept and rethrown by the flushing
 * call once the library has returned.
 */
@FunctionalInterface
public interface FrameListener {
    void onFrame(FrameView frame);
}
