// Runs in headless Chromium, in a page that has loaded marked.umd.js and mermaid.min.js and
// holds Markdown pages as JSON in <script id="pages">. Renders each page to HTML as a Markdown
// viewer would (marked, raw HTML passed through), draws its Mermaid blocks (strict security),
// and writes into <pre id="results"> what ran and what the DOM holds that could run: the tests
// fail on any of it. Hostile strings carry payloads that call window.__ran.push(...).
(async () => {
  window.__ran = [];
  mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
  const pages = JSON.parse(document.getElementById("pages").textContent);
  const out = document.getElementById("out");
  const results = {};
  let counter = 0;
  for (const [name, markdown] of Object.entries(pages)) {
    const holder = document.createElement("div");
    holder.innerHTML = marked.parse(markdown);
    out.appendChild(holder);
    const blocks = [...holder.querySelectorAll("code.language-mermaid")];
    const errors = [];
    for (const block of blocks) {
      try {
        const { svg } = await mermaid.render(`m${counter++}`, block.textContent);
        const drawn = document.createElement("div");
        drawn.innerHTML = svg;
        holder.appendChild(drawn);
      } catch (error) {
        errors.push(String(error?.message ?? error));
      }
    }
    const risky = "script, iframe, object, embed, img, [onerror], [onload], [onclick], a[href^='javascript']";
    results[name] = {
      risky: [...holder.querySelectorAll(risky)].map((element) => element.outerHTML.slice(0, 200)),
      headings: [...holder.querySelectorAll("h1, h2, h3")].map((heading) => heading.textContent),
      diagrams: blocks.length,
      mermaidErrors: errors,
      text: holder.textContent,
    };
  }
  await new Promise((done) => setTimeout(done, 500)); // an onerror would have fired by now
  document.getElementById("results").textContent = JSON.stringify({ ran: window.__ran, pages: results });
})();
