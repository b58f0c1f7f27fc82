/**
 * How a bad option value is shown in an error message.
 * @module
 */

/** `"x"` quoted, numbers and booleans as written, `null`, an array, or else the type's name. */
export function describeOption(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array with a non-string item";
  if (typeof value === "number" || typeof value === "boolean" || value === undefined) return String(value);
  return typeof value;
}
