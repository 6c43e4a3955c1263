/**
 * roster's Java binding: the whole C API of libroster (include/roster/roster.h)
 * through JNA direct mapping. Start at {@link dev.roster.Guild}.
 *
 * JNA is required as the module com.sun.jna: Debian's jna.jar has no module
 * descriptor, but its manifest names it (Automatic-Module-Name), and
 * upstream's jna-jpms.jar declares the same name. No package of this module
 * needs to be opened to JNA: the binding maps no JNA Structure and no
 * Library interface (the C structs are written and read by offset), and JNA
 * calls direct-mapped methods and direct callbacks through JNI, which
 * checks no Java access rules.
 */
@SuppressWarnings("requires-automatic")
module dev.roster {
    requires com.sun.jna;

    exports dev.roster;
}
