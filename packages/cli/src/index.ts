// The package's public surface is the `x-l2` command; this entry lets a script run it in-process.
export { runCli } from "./cli.js";
export { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from "./exit-codes.js";
