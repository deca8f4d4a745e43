// Checks Mermaid diagrams with mermaid's own parser, in one Node process for all of them.
// stdin:  {"<name>": "<diagram text>", ...}
// stdout: {"<name>": {"ok": true, "type": "flowchart-v2"} | {"ok": false, "error": "..."}, ...}
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

// mermaid sanitises labels with DOMPurify, which binds to a DOM window when it is first loaded.
const { window } = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = window;
globalThis.document = window.document;
// Anything mermaid logs must not mix with the JSON answer on stdout.
console.log = console.info = console.debug = console.warn = console.error;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });

const diagrams = JSON.parse(readFileSync(0, "utf8"));
const results = {};
for (const [name, text] of Object.entries(diagrams)) {
  try {
    const { diagramType } = await mermaid.parse(text);
    results[name] = { ok: true, type: diagramType };
  } catch (error) {
    results[name] = { ok: false, error: String(error?.message ?? error) };
  }
}
process.stdout.write(JSON.stringify(results));
