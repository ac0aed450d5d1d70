import type { z as Zod } from "zod";
import { L2Error } from "../errors.js";
import { closestKey } from "./closest-key.js";
import { keysAt } from "./schema-walk.js";

/** A short rendering of a config value for messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  try {
    const json = JSON.stringify(value);
    return json === undefined ? typeof value : json.length > 60 ? `${json.slice(0, 57)}...` : json;
  } catch {
    return typeof value;
  }
}

const article = (word: string) => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);
const TYPE_WORDS: Record<string, string> = { int: "integer", record: "object", nan: "number" };

/**
 * zod's default messages in core's words ("must be >= 0" instead of "Too small: expected number to be
 * >=0"). Passed per parse, so a message an author wrote in the schema still wins.
 */
function coreIssueMessage(issue: Zod.core.$ZodRawIssue): string | undefined {
  const bound = (minimum: boolean) => {
    const limit = String(minimum ? issue.minimum : issue.maximum);
    const inclusive = issue.inclusive !== false;
    switch (issue.origin) {
      case "number":
      case "int":
      case "bigint":
        return `must be ${minimum ? (inclusive ? ">=" : ">") : inclusive ? "<=" : "<"} ${limit}`;
      case "string":
        return `must be ${minimum ? "at least" : "at most"} ${limit} character(s) long`;
      case "array":
      case "set":
        return `must have ${minimum ? "at least" : "at most"} ${limit} item(s)`;
      default:
        return undefined;
    }
  };
  switch (issue.code) {
    case "too_small":
      return bound(true);
    case "too_big":
      return bound(false);
    case "invalid_type": {
      const expected = String(issue.expected);
      return `must be ${article(TYPE_WORDS[expected] ?? expected)}`;
    }
    case "not_multiple_of":
      return `must be a multiple of ${String(issue.divisor)}`;
    case "invalid_value": {
      const values = (issue.values as unknown[] | undefined) ?? [];
      return values.length === 1
        ? `must be ${JSON.stringify(values[0])}`
        : `must be one of ${values.map((v) => JSON.stringify(v)).join(", ")}`;
    }
    case "invalid_format":
      return `must be a valid ${String(issue.format)}`;
    default:
      return undefined;
  }
}

/** The parse options that give core-style messages. */
export const CORE_PARSE_OPTIONS = Object.freeze({ error: coreIssueMessage });

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: any = root;
  for (const part of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = current[part as any];
  }
  return current;
}

/** An unknown top-level key, with the closest valid key when it looks like a typo. */
export function unknownKeyError(type: string, key: string, valid: readonly string[], help?: string): L2Error {
  const suggestion = closestKey(key, valid);
  return new L2Error(
    "CONFIG_INVALID",
    `unknown key "${key}" for type "${type}"${suggestion ? `; did you mean "${suggestion}"?` : `; valid keys: ${valid.join(", ")}`}`,
    {
      adapterType: type,
      field: key,
      hint: suggestion ? `rename "${key}" to "${suggestion}"` : undefined,
      help,
    },
  );
}

/** Turns zod issues into one typed error naming the field, the value and what is expected. */
export function configError(
  type: string,
  error: Zod.ZodError,
  input: unknown,
  schema: Zod.ZodType,
  help?: string,
): L2Error {
  const messages: string[] = [];
  let firstField: string | undefined;
  for (const issue of error.issues.slice(0, 5)) {
    const field = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      const valid = keysAt(schema, issue.path);
      for (const key of issue.keys) {
        const full = field ? `${field}.${key}` : key;
        firstField ??= full;
        const suggestion = closestKey(key, valid);
        messages.push(
          `unknown key "${full}"${suggestion ? `; did you mean "${suggestion}"?` : `; valid keys: ${valid.join(", ")}`}`,
        );
      }
      continue;
    }
    firstField ??= field;
    const value = valueAt(input, issue.path);
    // A missing key is reported as missing whatever check failed on it (type, enum, custom message).
    const text =
      value === undefined
        ? `is required (${issue.message
            .replace(/^Invalid input: /, "")
            .replace(/, received undefined$/, "")
            .replace(/^must be (?=an? )/, "")})`
        : `${issue.message.replace(/^Invalid input: /, "")} (got ${describeValue(value)})`;
    messages.push(`field "${field}": ${text}`);
  }
  return new L2Error("CONFIG_INVALID", messages.join("; "), {
    adapterType: type,
    field: firstField,
    help,
    cause: error,
  });
}
