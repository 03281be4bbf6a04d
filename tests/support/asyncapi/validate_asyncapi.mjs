// Validate an AsyncAPI document with the official parser (@asyncapi/parser), then every
// message example in it against its message's payload schema (ajv, JSON Schema draft-07, the
// AsyncAPI Schema Object's base). The packages are pinned in package.json beside this file and
// installed by `make setup` (npm ci).
//
//   node tests/support/asyncapi/validate_asyncapi.mjs FILE
//
// Prints every diagnostic of severity error, warning or information as
// `severity code at /json/pointer: message`, then a summary line. Exit status: 0 when there
// is no error, 1 when there is any, 2 on a usage or I/O problem.
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";
import Ajv from "ajv";
import addFormats from "ajv-formats";

const SEVERITY = ["error", "warning", "info", "hint"];

const file = process.argv[2];
if (!file || process.argv.length > 3) {
  console.error("usage: node validate_asyncapi.mjs FILE");
  process.exit(2);
}
let source;
try {
  source = await readFile(file, "utf8");
} catch (error) {
  console.error(`cannot read ${file}: ${error.message}`);
  process.exit(2);
}

const counts = { error: 0, warning: 0, info: 0, hint: 0 };
function report(severity, code, path, message) {
  counts[severity] = (counts[severity] ?? 0) + 1;
  if (severity !== "hint") console.log(`${severity} ${code} at /${path.join("/")}: ${message}`);
}

const parser = new Parser();
const { document, diagnostics } = await parser.parse(source, { source: file });
for (const diagnostic of diagnostics) {
  const severity = SEVERITY[diagnostic.severity] ?? String(diagnostic.severity);
  report(severity, diagnostic.code, (diagnostic.path ?? []).map(String), diagnostic.message);
}

// Examples: `components.messages.<name>.examples[i].payload` against the message's payload,
// with every `#/components/schemas/…` reference resolved in the document itself.
if (document !== undefined) {
  const raw = JSON.parse(source);
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const base = "urn:recall-tracker:contract";
  ajv.addSchema({ $id: base, components: { schemas: raw.components?.schemas ?? {} } });
  for (const [name, message] of Object.entries(raw.components?.messages ?? {})) {
    const ref = message.payload?.$ref;
    for (const [i, example] of (message.examples ?? []).entries()) {
      const path = ["components", "messages", name, "examples", String(i), "payload"];
      if (typeof ref !== "string" || !ref.startsWith("#/")) {
        report("error", "example-unchecked", path, "the payload is not a local $ref");
        continue;
      }
      const validate = ajv.getSchema(base + ref);
      if (validate === undefined) {
        report("error", "example-unchecked", path, `${ref} does not resolve`);
      } else if (!validate(example.payload)) {
        for (const e of validate.errors) {
          report("error", "example-invalid", path, `${e.instancePath || "(value)"} ${e.message}`);
        }
      }
    }
  }
}

const valid = document !== undefined && counts.error === 0;
console.log(
  `${file}: ${valid ? "valid" : "INVALID"} AsyncAPI ${document?.version() ?? "?"}` +
    ` (${counts.error} errors, ${counts.warning} warnings, ${counts.info} info, ${counts.hint} hints)`,
);
process.exit(valid ? 0 : 1);
