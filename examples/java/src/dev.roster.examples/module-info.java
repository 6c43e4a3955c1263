/**
 * The programs that use the roster binding as any application would, through
 * its exported API only: the host of examples/README.md ({@link
 * dev.roster.examples.Host}) and the host benchmark ({@link
 * dev.roster.examples.Bench}).
 */
module dev.roster.examples {
    requires dev.roster;
}
