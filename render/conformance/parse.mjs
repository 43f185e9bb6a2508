// Prints, for every file given, one JSON line: nomnoml 1.7.0's parse(src) without its
// config, {"file":..., "result": {"root":...,"directives":...}}, or for a syntax
// error {"file":..., "result": {"error":{"line","column","message"}}}.
// With --config, each line also has "config": nomnoml's configuration of the diagram
// (directives with defaults and the styles table).
// Usage: node parse.mjs [--config] FILE.nomnoml...   (no file: one source from stdin)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const nomnoml = require('nomnoml');

function parseOne(src) {
  try {
    const { root, directives } = nomnoml.parse(src);
    return { root, directives };
  } catch (e) {
    if (e && typeof e.line === 'number') {
      return { error: { line: e.line, column: e.column, message: e.message } };
    }
    return { error: { message: String(e && e.message ? e.message : e) } };
  }
}

function configOf(src) {
  try {
    return nomnoml.parse(src).config;
  } catch (e) {
    return null;
  }
}

const withConfig = process.argv[2] === '--config';
const files = process.argv.slice(withConfig ? 3 : 2);
if (files.length === 0) {
  process.stdout.write(JSON.stringify(parseOne(readFileSync(0, 'utf8'))) + '\n');
} else {
  for (const file of files) {
    const src = readFileSync(file, 'utf8');
    const line = { file, result: parseOne(src) };
    if (withConfig) line.config = configOf(src);
    process.stdout.write(JSON.stringify(line) + '\n');
  }
}
