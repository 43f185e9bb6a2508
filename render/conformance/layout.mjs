// Prints nomnoml 1.7.0's own layout of each file, one JSON line per file:
// {"file":..., "compartments":[{"path":..., "nodes":[{"id","x","y","width","height"}],
//   "edges":[{"start","end","path":[{"x","y"},...]}]}]}
// or {"file":..., "error": "..."}. Text is measured as a fixed font of 7 px per
// character and leading·fontSize per line, the same measurer the Go side uses,
// so both layouts place boxes of the same sizes. Compartments are listed in
// pre-order (root first, then each node's parts in order, depth first); only
// compartments that hold nodes are listed.
// Usage: node layout.mjs FILE.nomnoml...
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const nomnoml = require('nomnoml');

function measurer(config) {
  return {
    setFont() {},
    textWidth(s) { return 7 * [...s].length; },
    textHeight() { return config.leading * config.fontSize; },
  };
}

function collect(part, path, out) {
  if (part.nodes && part.nodes.length) {
    out.push({
      path,
      nodes: part.nodes.map((n) => ({
        id: n.id,
        x: n.x,
        y: n.y,
        width: n.layoutWidth,
        height: n.layoutHeight,
      })),
      edges: (part.assocs || []).map((a) => ({
        start: a.start,
        end: a.end,
        path: (a.path || []).map((p) => ({ x: p.x, y: p.y })),
      })),
    });
  }
  for (const n of part.nodes || []) {
    (n.parts || []).forEach((p, i) => collect(p, `${path}/${n.id}#${i}`, out));
  }
}

function layoutOne(src) {
  const { root, config } = nomnoml.parse(src);
  const laid = nomnoml.layout(measurer(config), config, root);
  const out = [];
  collect(laid, 'root', out);
  return out;
}

for (const file of process.argv.slice(2)) {
  let line;
  try {
    line = { file, compartments: layoutOne(readFileSync(file, 'utf8')) };
  } catch (e) {
    line = { file, error: String(e && e.message ? e.message : e) };
  }
  process.stdout.write(JSON.stringify(line) + '\n');
}
