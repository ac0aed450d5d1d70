#!/usr/bin/env node
import { runCli } from "./cli.js";
import { EXIT_FAILURE } from "./exit-codes.js";
import { formatError } from "./format-error.js";

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(formatError(error));
    process.exitCode = EXIT_FAILURE;
  },
);
