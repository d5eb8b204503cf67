/* Text first, charts after: plotly.js is at the end of the page, so the headline shows at once; charts are
   drawn one at a time, those on screen first, yielding in between so the page stays responsive.
   window.leftshiftReady resolves when every chart is drawn (tests wait for it).
   Printing draws any chart not yet drawn, at the width of an A4 page and no taller than one (each chart is
   drawn at its height, scaled down if taller), and puts them back after. */
(function () {
  const divs = Array.from(document.querySelectorAll("div.figure"));
  const specs = new Map(Array.from(document.querySelectorAll("script.figure-spec")).map(s => [s.dataset.for, s]));
  const PRINT_WIDTH = 700, PRINT_PAGE = 1000;  // CSS px inside A4 with the page margins of report.css
  function wrap(text, chars) {
    if (typeof text !== "string" || text.length <= chars || text.includes("<br>")) return text;
    const lines = [];
    let line = "";
    for (const word of text.split(" ")) {
      if (line && (line + " " + word).length > chars) { lines.push(line); line = word; }
      else line = line ? line + " " + word : word;
    }
    lines.push(line);
    return lines.join("<br>");
  }
  const lineCount = text => (typeof text === "string" ? text.split("<br>").length : 0);
  /* Fit a chart to the width it is drawn at: titles and long bar labels wrapped, room below the plot for a
     legend that wraps onto several rows, narrower margins on a phone. The plot area keeps its height. */
  function fit(spec, width) {
    const layout = spec.layout, narrow = width < 600;
    const margin = layout.margin = Object.assign({t: 80, b: 60, l: 80, r: 30}, layout.margin || {});
    let grow = 0;
    const title = layout.title || {};
    if (title.text) {
      const before = lineCount(title.text) + lineCount(title.subtitle && title.subtitle.text);
      title.text = wrap(title.text, Math.floor(width / 10));
      if (title.subtitle) title.subtitle.text = wrap(title.subtitle.text, Math.floor(width / 7.3));
      const added = lineCount(title.text) + lineCount(title.subtitle && title.subtitle.text) - before;
      const headed = (layout.annotations || []).some(a => a.yref === "paper" && a.y >= 1);  // subplot titles
      const extra = added > 0 ? 22 * added + 8 + (headed ? 22 : 0) : 0;
      margin.t += extra; grow += extra;
      (layout.updatemenus || []).forEach(menu => menu.buttons.forEach(b => {
        const args = b.args && b.args[1];
        if (args && args["title.subtitle.text"]) args["title.subtitle.text"] = wrap(args["title.subtitle.text"], Math.floor(width / 7.3));
      }));
    }
    if (narrow) {
      margin.l = Math.min(margin.l, 56); margin.r = Math.min(margin.r, 12);
      const horizontal = spec.data.some(t => t.orientation === "h");
      spec.data.forEach(t => {  // the category labels of horizontal bars, in every trace that uses them
        if (horizontal && Array.isArray(t.y) && typeof t.y[0] === "string") t.y = t.y.map(v => wrap(v, 18));
      });
      const axis = layout.yaxis;
      if (axis && Array.isArray(axis.categoryarray)) axis.categoryarray = axis.categoryarray.map(v => wrap(String(v), 18));
      const bars = horizontal ? spec.data.filter(t => Array.isArray(t.y) && typeof t.y[0] === "string") : [];
      bars.forEach(t => { if (t.type === "bar") t.cliponaxis = true; });  // bar text stays off the labels
      const subplots = layout.yaxis2 && !layout.yaxis2.overlaying;
      if (bars.length && !subplots) {  // room for wrapped bar labels, the same for every category
        const lines = new Map();
        bars.forEach(t => t.y.forEach(v => lines.set(v, lineCount(v))));
        const need = lines.size * (Math.max(...lines.values()) * 17 + 10);  // every category gets the same room
        const plot = (layout.height || 450) + grow - margin.t - margin.b;
        if (need > plot) {
          grow += need - plot;
          if (layout.legend && layout.legend.orientation === "h") layout.legend.y = -75 / need;
        }
      }
    }
    if (!layout.legend || layout.legend.orientation !== "h" || layout.showlegend === false) return grow;
    const names = spec.data.filter(t => t.showlegend !== false && t.name && t.type !== "sankey").map(t => t.name);
    const unique = Array.from(new Set(names));
    const room = Math.max(width - margin.l - margin.r, 150);
    let rows = unique.length ? 1 : 0, used = 0;
    unique.forEach(name => {
      const need = String(name).replace(/<[^>]+>/g, "").length * 6.6 + 46;
      if (used && used + need > room) { rows += 1; used = 0; }
      used += need;
    });
    const bottom = Math.max(margin.b, 80 + 20 * rows);
    grow += bottom - margin.b;
    margin.b = bottom;
    return grow;
  }
  function draw(div) {
    if (div.dataset.drawn) return Promise.resolve();
    div.dataset.drawn = "1";
    const spec = JSON.parse(specs.get(div.id).textContent);
    const grow = fit(spec, div.clientWidth || window.innerWidth);
    if (grow) {
      spec.layout.height = (spec.layout.height || div.offsetHeight) + grow;
      div.style.height = spec.layout.height + "px";
    }
    return Plotly.newPlot(div, spec.data, spec.layout, CONFIG);
  }
  function onScreen(div) {
    const r = div.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight;
  }
  const pause = () => new Promise(resolve => setTimeout(resolve, 0));
  window.leftshiftReady = (async function () {
    const order = divs.filter(onScreen).concat(divs.filter(d => !onScreen(d)));
    for (const div of order) { await draw(div); await pause(); }
    document.body.dataset.chartsDrawn = String(order.length);
  })();
  let printing = false;
  function toPrint() {
    if (printing) return;
    printing = true;
    divs.forEach(div => {
      draw(div);
      const section = div.closest("section");
      const around = section ? section.getBoundingClientRect().height - div.offsetHeight : 0;  // heading, note
      const height = Math.min(div.layout && div.layout.height || div.offsetHeight, PRINT_PAGE - around - 40);
      div.dataset.screenHeight = div.style.height;
      div.style.height = height + "px";
      Plotly.relayout(div, {width: PRINT_WIDTH, height: height});
    });
  }
  function fromPrint() {
    if (!printing) return;
    printing = false;
    divs.forEach(div => {
      div.style.height = div.dataset.screenHeight;
      Plotly.relayout(div, {width: null, height: parseFloat(div.style.height) || null, autosize: true});
    });
  }
  window.addEventListener("beforeprint", toPrint);
  window.addEventListener("afterprint", fromPrint);
  if (window.matchMedia) {
    const media = window.matchMedia("print");
    const follow = e => (e.matches ? toPrint() : fromPrint());
    if (media.addEventListener) media.addEventListener("change", follow);
  }
  window.leftshiftPrint = toPrint;
})();
