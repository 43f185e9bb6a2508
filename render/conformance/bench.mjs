// Times nomnoml 1.7.0's renderSvg on the benchmark maps that the Go benchmarks draw
// (render/testdata/bench/nodes-N.nomnoml, written by
// `go test ./render -run TestBenchSources -update`), and prints one line per size:
//   nodes=N  nomnoml renderSvg: X ms/op (cpu Y ms/op)
// Compare with `go test ./render -run '^$' -bench BenchmarkRenderPNG -benchtime 5x`.
// Usage: node bench.mjs [runs] [nodes]   (BenchmarkPNGvsNomnoml runs it for one size)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const nomnoml = require('nomnoml');
const here = dirname(fileURLToPath(import.meta.url));
const runs = Number(process.argv[2] || 5);

const sizes = process.argv[3] ? [Number(process.argv[3])] : [20, 100, 500];
for (const n of sizes) {
  const src = readFileSync(join(here, '..', 'testdata', 'bench', `nodes-${n}.nomnoml`), 'utf8');
  nomnoml.renderSvg(src); // warm up the JIT
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 0; i < runs; i++) bytes += nomnoml.renderSvg(src).length;
  const wall = Number(process.hrtime.bigint() - t0) / 1e6 / runs;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / runs;
  console.log(`nodes=${n}\tnomnoml renderSvg: ${wall.toFixed(1)} ms/op (cpu ${cpuMs.toFixed(1)} ms/op, ${Math.round(bytes / runs)} bytes)`);
}
