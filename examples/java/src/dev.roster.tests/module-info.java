/**
 * The binding's tests: a plain runner ({@link dev.roster.tests.ApiTest})
 * that calls every public method of dev.roster, error paths included,
 * through the exported API only.
 */
module dev.roster.tests {
    requires dev.roster;
}
