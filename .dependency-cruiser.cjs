/**
 * Import rules for src/ (`npm run check:imports`): no cycles, and the layers of the README's "Layout" section point
 * one way only: http → decisions → (policy, graph) → store / cache, with model (the shapes store and cache share)
 * below them all. The root modules (main, server, cluster, cli) wire the layers together.
 */
const LAYERS = "(http|decisions|policy|graph|store|cache|model)";
/** Lists generated from the policy pack: data only, so they import nothing. */
const GENERATED_LISTS = "^src/(policy|model)/[^/]+[.]generated[.]ts$";
/** The port decisions declares for the org graph: the one module of decisions that graph implements. */
const GRAPH_PORT = "^src/decisions/graph-port[.]ts$";

const layer = (name, comment, mayNotImport, except) => ({
  name: `${name}-not-to-${mayNotImport.replace(/[()^$\\/]/g, "").replace(/\|/g, "-")}`,
  severity: "error",
  comment,
  from: { path: `^src/${name}/` },
  to: { path: `^src/${mayNotImport}/`, ...(except ? { pathNot: except } : {}) },
});

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "A cycle means two modules own one concern between them.",
      from: { path: "^src/" },
      to: { circular: true },
    },
    layer("http", "http reaches the graph through decisions and the ports it declares, never the store or cache.", "(graph|store|cache)"),
    layer("decisions", "decisions declares the port it needs (graph-port.ts); the wiring hands it the graph.", "(http|graph|store|cache)"),
    layer("policy", "The policy engine evaluates; it knows nothing of requests or of where facts come from.", "(http|decisions|graph|store)"),
    layer("graph", "graph implements the decisions' port and wires store and cache; it never answers requests.", "(http|decisions|policy)", GRAPH_PORT),
    layer("store", "store owns PostgreSQL; the cache is above it, never beside it.", "(http|decisions|policy|graph|cache)"),
    layer("cache", "cache owns memory and Redis behind its interfaces; it knows nothing of SQL.", "(http|decisions|policy|graph|store)"),
    layer("model", "model holds the shapes (and generated lists) every layer shares, so it imports none of them.", "(http|decisions|policy|graph|store|cache)"),
    {
      name: "layers-not-to-wiring",
      severity: "error",
      comment: "The root modules wire the layers: nothing inside a layer imports them back.",
      from: { path: `^src/${LAYERS}/` },
      to: { path: "^src/(main|server|cluster)[.]ts$|^src/cli/" },
    },
    {
      name: "generated-lists-are-data",
      severity: "error",
      comment: "Generated lists are data: importing them never drags code along.",
      from: { path: GENERATED_LISTS },
      to: { path: "^src/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
