// Runs in headless Chromium, in a page that has loaded mermaid.min.js and holds the diagrams as
// JSON in <script id="diagrams">. Renders each one and writes what the tests check into
// <pre id="results">: per diagram its node ids, node texts, cluster count and edge labels.
(async () => {
  mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
  const diagrams = JSON.parse(document.getElementById("diagrams").textContent);
  const results = {};
  let index = 0;
  for (const [name, text] of Object.entries(diagrams)) {
    const id = `d${index++}`;
    try {
      const { svg } = await mermaid.render(id, text);
      results[name] = { ok: true, ...summarise(svg, id) };
    } catch (error) {
      results[name] = { ok: false, error: String(error?.message ?? error) };
    }
  }
  document.getElementById("results").textContent = JSON.stringify(results);
})();

// Node elements are <g class="node" id="<diagram id>-flowchart-<node id>-<counter>">.
function summarise(svg, id) {
  const holder = document.createElement("div");
  holder.innerHTML = svg;
  const prefix = `${id}-flowchart-`;
  const nodes = [...holder.querySelectorAll("g.node")].map((node) => ({
    id: node.id.startsWith(prefix) ? node.id.slice(prefix.length).replace(/-\d+$/, "") : node.id,
    text: node.textContent,
  }));
  return {
    nodes,
    clusters: holder.querySelectorAll("g.cluster").length,
    edgeLabels: [...holder.querySelectorAll("g.edgeLabel")].map((label) => label.textContent),
  };
}
