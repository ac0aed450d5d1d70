/** Exit statuses of the `x-l2` command. */
export const EXIT_OK = 0;
/** The run itself failed: verification mismatch, failed store, an adapter error during the bench. */
export const EXIT_FAILURE = 1;
/** The command line or a config was wrong (bad JSON, unknown type, unknown option): nothing ran. */
export const EXIT_USAGE = 2;
/** Stopped by SIGINT (Ctrl-C) after cleaning up: 128 + 2, as shells report it. */
export const EXIT_INTERRUPTED = 130;
