/* Text first, charts after: plotly.js is at the end of the page, so the headline shows at once; charts are
   drawn one at a time, those on screen first, yielding in between so the page stays responsive.
   window.leftshiftReady resolves when every chart is drawn (tests wait for it).
   Printing draws any chart not yet drawn, at the width of an A4 page and no taller than one (each chart is
   drawn at its height, scaled down if taller), and puts them back after. */
(function () {
  const divs = Array.from(document.querySelectorAll("div.figure"));
  const specs = new Map(Array.from(document.querySelectorAll("script.figure-spec")).map(s => [s.dataset.for, s]));
  const PRINT_WIDTH = 700, PRINT_PAGE = 1000;  // CSS px inside A4 with the page margins of report.css
  /* A word longer than a line (a key path such as interventions[0].effects.community->acute) broken after its
     dots, brackets and arrows, or anywhere when it must. */
  function pieces(word, chars) {
    if (word.length <= chars) return [word];
    const parts = word.split(/(?<=[.\]>_/])/), out = [];
    let piece = "";
    for (const part of parts) {
      if (piece && (piece + part).length > chars) { out.push(piece); piece = ""; }
      piece += part;
      while (piece.length > chars) { out.push(piece.slice(0, chars)); piece = piece.slice(chars); }
    }
    if (piece) out.push(piece);
    return out;
  }
  function wrap(text, chars) {
    if (typeof text !== "string" || text.length <= chars || text.includes("<br>")) return text;
    chars = Math.max(chars, 8);
    const lines = [];
    let line = "";
    for (const word of text.split(" ").flatMap(w => pieces(w, chars))) {
      if (line && (line + " " + word).length > chars) { lines.push(line); line = word; }
      else line = line ? line + " " + word : word;
    }
    lines.push(line);
    return lines.join("<br>");
  }
  const lineCount = text => (typeof text === "string" && text ? text.split("<br>").length : 0);
  const plain = text => String(text).replace(/<[^>]+>/g, "");
  const NARROW = 600;  // CSS px: narrower is a phone
  /* A subplot's title (plotly's annotation above each panel of make_subplots). */
  const isPanelTitle = a => a.xref === "paper" && a.yref === "paper" && a.yanchor === "bottom" && a.showarrow === false;
  /* Every panel of a figure: its x axis and the y axis it is anchored to (overlaid axes left out). */
  function panels(layout) {
    return Object.keys(layout).filter(k => /^xaxis\d*$/.test(k)).map(xk => {
      const x = layout[xk];
      return {x, y: layout["yaxis" + String(x.anchor || "y").slice(1)]};
    }).filter(c => c.y && c.x.domain && c.y.domain && !c.x.overlaying && !c.y.overlaying);
  }
  /* On a phone, panels side by side are put one under another, and panels whose titles wrap onto more lines
     get the room between them: each panel keeps its height in px. Returns the new height of the plot area. */
  function stack(layout, plot) {
    const all = panels(layout);
    if (all.length < 2) return plot;
    const titles = (layout.annotations || []).filter(isPanelTitle);
    const columns = new Set(all.map(c => c.x.domain[0].toFixed(2))).size;
    if (columns < 2 && !titles.some(a => lineCount(a.text) > 1)) return plot;
    const order = all.slice().sort((a, b) => (b.y.domain[1] - a.y.domain[1]) || (a.x.domain[0] - b.x.domain[0]));
    const titleOf = order.map(c => titles.find(a => Math.abs(a.y - c.y.domain[1]) < 0.01
      && a.x >= c.x.domain[0] - 0.01 && a.x <= c.x.domain[1] + 0.01));
    const heights = order.map(c => (c.y.domain[1] - c.y.domain[0]) * plot);
    const gaps = order.map((c, i) => i === 0 ? 0 : 46 + (order[i - 1].x.title && order[i - 1].x.title.text ? 20 : 0)
      + (titleOf[i] ? lineCount(titleOf[i].text) * 19 + 4 : 0));
    const total = heights.reduce((a, b) => a + b, 0) + gaps.reduce((a, b) => a + b, 0);
    let top = total;
    order.forEach((c, i) => {
      top -= gaps[i];
      c.x.domain = [0, 1];
      c.y.domain = [Math.max(0, (top - heights[i]) / total), top / total];
      if (titleOf[i]) Object.assign(titleOf[i], {x: 0.5, y: top / total, xanchor: "center"});
      top -= heights[i];
    });
    return total;
  }
  /* Room at the top for the title and subtitle (at the top of the figure), a row of its own for a menu, and the
     titles of the top panels, so none of them overlap. Returns the top margin. */
  function fitTop(layout, width) {
    const title = layout.title = layout.title || {};
    const subtitle = title.subtitle;
    title.text = wrap(title.text, Math.floor(width / 10));
    if (subtitle) subtitle.text = wrap(subtitle.text, Math.floor(width / 7.3));
    const menus = layout.updatemenus || [];
    let lines = lineCount(subtitle && subtitle.text);
    menus.forEach(menu => menu.buttons.forEach(b => {
      const args = b.args && b.args[1];
      if (args && args["title.subtitle.text"]) {
        args["title.subtitle.text"] = wrap(args["title.subtitle.text"], Math.floor(width / 7.3));
        lines = Math.max(lines, lineCount(args["title.subtitle.text"]));
      }
    }));
    const heads = (layout.annotations || []).filter(a => isPanelTitle(a) && a.y >= 0.999);
    const panel = heads.length ? Math.max(...heads.map(a => lineCount(a.text) * 19)) + 6 : 0;
    let top = 10 + lineCount(title.text) * 24 + lines * 17 + 14;
    Object.assign(title, {y: 1, yref: "container", yanchor: "top", pad: Object.assign({}, title.pad, {t: 10})});
    menus.forEach(menu => Object.assign(menu, {y: 1, yref: "paper", yanchor: "bottom", x: 1, xanchor: "right",
                                               pad: {t: 0, r: 0, l: 0, b: panel + 6}}));
    if (menus.length) top += 36;
    return Math.max(top + panel, 24);
  }
  /* On a phone: x axis titles wrapped to the plot's width, money ticks thinned so they never crowd, and room for
     category labels turned upright. Returns the room below the plot this needs beyond the usual, in px. */
  function fitAxes(spec, room) {
    const layout = spec.layout;
    let below = 0;
    Object.keys(layout).filter(k => /^[xy]axis\d*$/.test(k)).forEach(k => {
      const axis = layout[k], across = k[0] === "x";
      if (across && axis.title && typeof axis.title.text === "string") {
        axis.title.text = wrap(axis.title.text, Math.max(12, Math.floor((room - 70) / 8)));  // beside the y axis
        below = Math.max(below, (lineCount(axis.title.text) - 1) * 18);
      }
      const names = across && axis.type === "category" ? spec.data.flatMap(t => Array.isArray(t.x) ? t.x : []) : [];
      if (names.length) {  // category labels turned upright when they do not fit side by side
        const longest = Math.max(...names.map(v => String(v).length)), count = new Set(names).size;
        if (count * (longest * 7 + 8) > room) below = Math.max(below, longest * 7 - 4);
      }
      if (across && Array.isArray(axis.tickvals) && Array.isArray(axis.ticktext)) {
        axis.tickangle = 0;  // level, so few enough that they never need turning
        const longest = Math.max(...axis.ticktext.map(t => plain(t).length)), n = axis.tickvals.length;
        const ends = Array.isArray(axis.range) ? axis.range : [axis.tickvals[0], axis.tickvals[n - 1]];
        const apart = n > 1 ? Math.abs(axis.tickvals[1] - axis.tickvals[0]) * room / Math.abs(ends[1] - ends[0]) : room;
        const step = Math.ceil((longest * 7 + 16) / apart);
        if (step > 1) {
          const zero = Math.max(0, axis.tickvals.indexOf(0));
          const keep = axis.tickvals.map((_, i) => (i - zero) % step === 0);
          axis.tickvals = axis.tickvals.filter((_, i) => keep[i]);
          axis.ticktext = axis.ticktext.filter((_, i) => keep[i]);
        }
      }
    });
    return below;
  }
  /* On a phone: the category labels of horizontal bars wrapped, the same room for every category, and the
     amounts written beside short bars kept inside the plot (the axis widened to hold them). Returns the plot
     height the bars need. */
  function fitBars(spec, room, plot) {
    const layout = spec.layout, categorical = t => Array.isArray(t.y) && typeof t.y[0] === "string";
    const bars = spec.data.filter(t => t.orientation === "h" && categorical(t));
    if (!bars.length) return {plot, inner: room};
    spec.data.filter(categorical).forEach(t => { t.y = t.y.map(v => wrap(v, 18)); });  // every trace on them
    bars.forEach(t => {  // level text at its size: inside a bar it fits, else beside it
      if (t.type === "bar") Object.assign(t, {cliponaxis: true, textangle: 0, constraintext: "none"});
    });
    const axis = layout.yaxis;
    if (axis && Array.isArray(axis.categoryarray)) axis.categoryarray = axis.categoryarray.map(v => wrap(String(v), 18));
    const longest = Math.max(...bars.flatMap(t => t.y.flatMap(v => String(v).split("<br>").map(l => l.length))));
    const inner = Math.max(room - longest * 6.6 - 12, 80);  // the plot's width beside the category labels
    const x = layout.xaxis, written = bars.filter(t => t.type === "bar" && Array.isArray(t.text));
    const rows = written.flatMap(t => t.y), shared = new Set(rows).size < rows.length;
    if (shared) {  // two bars a row (a tornado): no room beside them, so text only where it fits inside
      written.forEach(t => { t.textposition = "inside"; delete t.constraintext; });
      layout.uniformtext = {minsize: 11, mode: "hide"};
    }
    const texts = shared ? [] : written.flatMap(t => t.text.map(plain));
    if (x && texts.length) {  // room for the longest amount on either side
      const ends = Array.isArray(x.range) ? x.range : extent(bars);
      const share = Math.min(0.3, (Math.max(...texts.map(v => v.length)) * 6.6 + 8) / inner);
      const span = ends[1] - ends[0], extra = span * share / (1 - 2 * share);
      x.range = [ends[0] - extra, ends[1] + extra];
    }
    if (layout.yaxis2 && !layout.yaxis2.overlaying) return {plot, inner};
    const lines = new Map();
    bars.forEach(t => t.y.forEach(v => lines.set(v, lineCount(v))));
    return {plot: Math.max(plot, lines.size * (Math.max(...lines.values()) * 17 + 10)), inner};
  }
  const TYPED = {f8: Float64Array, f4: Float32Array, i4: Int32Array, u4: Uint32Array, i2: Int16Array,
                 u2: Uint16Array, i1: Int8Array, u1: Uint8Array};
  /* The numbers of a data array as a plain list: plotly.py writes numpy arrays as base64 ({dtype, bdata}). */
  function numbers(values) {
    if (Array.isArray(values)) return values;
    if (!values || typeof values.bdata !== "string" || !TYPED[values.dtype]) return [];
    const bytes = Uint8Array.from(atob(values.bdata), c => c.charCodeAt(0));
    return Array.from(new TYPED[values.dtype](bytes.buffer));
  }
  /* Upright (y) axis titles wrapped to the height of their panel, so they never reach above it. */
  function wrapUpright(layout, plot) {
    Object.keys(layout).filter(k => /^yaxis\d*$/.test(k)).forEach(k => {
      const axis = layout[k], title = axis.title;
      if (title && typeof title.text === "string") {
        const along = plot * ((axis.domain || [0, 1])[1] - (axis.domain || [0, 1])[0]) - 30;
        title.text = wrap(title.text, Math.floor(along / 8));
      }
    });
  }
  /* The ends of horizontal bars (from their base to base + length), and 0. */
  function extent(bars) {
    const ends = bars.flatMap(t => {
      const bases = typeof t.base === "number" ? null : numbers(t.base);
      return numbers(t.x).flatMap((v, i) => {
        const base = bases ? (bases[i] || 0) : t.base;
        return [base, base + v];
      });
    }).filter(Number.isFinite);
    return [Math.min(0, ...ends), Math.max(0, ...ends)];
  }
  /* On a phone: a colour bar goes under the plot, across it, so the plot keeps the width. Returns its height. */
  function fitColorbars(spec, room, plot, below) {
    const scales = spec.data.filter(t => ["heatmap", "contour", "histogram2d"].includes(t.type) && t.showscale !== false);
    scales.forEach(t => {
      const bar = t.colorbar = t.colorbar || {};
      const title = bar.title = bar.title || {};
      if (title.text) title.text = wrap(title.text, Math.floor(room / 8));
      Object.assign(title, {side: "top"});
      Object.assign(bar, {orientation: "h", x: 0, xanchor: "left", xref: "paper", len: 1, lenmode: "fraction",
                          thickness: 12, yref: "paper", yanchor: "top", y: -(75 + below) / plot});
    });
    return scales.length ? 70 + 18 * Math.max(...scales.map(t => lineCount(t.colorbar.title.text))) : 0;
  }
  /* On a phone: axes of large numbers (budgets in pounds) tick as 5M, 200k, not 5,000,000. */
  function fitLargeNumbers(spec) {
    const layout = spec.layout;
    ["x", "y"].forEach(side => Object.keys(layout).filter(k => k.startsWith(side + "axis")).forEach(k => {
      const axis = layout[k], id = side + k.slice(5);
      if (axis.tickformat !== ",") return;
      const values = spec.data.filter(t => (t[side + "axis"] || side) === id)
        .flatMap(t => numbers(t[side])).filter(Number.isFinite);
      if (values.length && Math.max(...values.map(Math.abs)) >= 1e5) axis.tickformat = "~s";
    }));
  }
  /* On a phone: node labels wrapped to half the width (the left column's labels run right, the right column's
     left), in a smaller font; labels that still collide are dropped after drawing (`tidySankey`). */
  function fitSankey(spec, room) {
    const chars = Math.max(10, Math.floor((room / 2 - 28) / 6.2));
    spec.data.filter(t => t.type === "sankey").forEach(t => {
      t.node.label = t.node.label.map(label => wrap(label, chars));
      t.textfont = Object.assign({size: 11}, t.textfont || {});
    });
  }
  /* The legend under the plot: on a phone one entry a row, long names wrapped. Returns the bottom margin. */
  function fitLegend(spec, room, narrow, plot, below) {
    const layout = spec.layout, legend = layout.legend, margin = layout.margin;
    if (!legend || layout.showlegend === false || !(legend.y < 0)) return margin.b + below;
    const shown = spec.data.filter(t => t.showlegend !== false && t.name && t.type !== "sankey");
    let height = 0;
    if (narrow) {
      legend.orientation = "v";
      const chars = Math.floor((room + margin.r - 50) / 6.6);
      shown.forEach(t => { if (plain(t.name).length > chars) t.name = wrap(t.name, chars); });
      const names = new Map(shown.map(t => [t.name, lineCount(t.name)]));
      const groups = new Set(shown.map(t => t.legendgroup || "")).size;
      height = [...names.values()].reduce((a, b) => a + b, 0) * 19 + (groups > 1 ? (groups - 1) * 10 : 0);
    } else if (legend.orientation === "h") {
      let rows = 0, used = 0;
      Array.from(new Set(shown.map(t => t.name))).forEach(name => {
        const need = plain(name).length * 6.6 + 46;
        if (!rows || (used && used + need > room)) { rows += 1; used = 0; }
        used += need;
      });
      height = 24 * rows + 6;
    }
    legend.y = -(75 + below) / plot;
    return Math.max(margin.b, 80 + below + height);
  }
  /* Fit a chart to the width it is drawn at: everything above the plot given room of its own, long titles and
     labels wrapped; on a phone narrower margins, panels stacked, and a taller Sankey. The plot area keeps its
     height unless the phone needs more. Sets the figure's height. */
  function fit(spec, width) {
    const layout = spec.layout, narrow = width < NARROW;
    const margin = layout.margin = Object.assign({t: 80, b: 60, l: 80, r: 30}, layout.margin || {});
    let plot = Math.max((layout.height || 450) - margin.t - margin.b, 120);
    const sankey = spec.data.some(t => t.type === "sankey");
    let below = 0;
    if (narrow) {
      margin.l = Math.min(margin.l, sankey ? 8 : 56);
      margin.r = Math.min(margin.r, sankey ? 8 : 12);
      const room = Math.max(width - margin.l - margin.r, 150);
      (layout.annotations || []).filter(isPanelTitle).forEach(a => {  // beside the y axis's ticks and title
        a.text = wrap(a.text, Math.floor((room - 40) / (0.6 * ((a.font && a.font.size) || 16))));
      });
      if (sankey) { fitSankey(spec, room); plot = Math.max(plot, 640); }
      plot = stack(layout, plot);
      const bars = fitBars(spec, room, plot);
      plot = bars.plot;
      fitLargeNumbers(spec);
      below = fitAxes(spec, bars.inner);
      below += fitColorbars(spec, bars.inner, plot, below);
    }
    wrapUpright(layout, plot);
    margin.t = fitTop(layout, width);
    margin.b = fitLegend(spec, Math.max(width - margin.l - margin.r, 150), narrow, plot, below);
    layout.height = margin.t + plot + margin.b;
  }
  /* A Sankey's node labels that overlap a bigger node's label, or run off the chart, are dropped (hover over
     the node, or read the table under the chart, for them). Runs after every drawing (a menu shows another
     trace; a resize moves the nodes); dropping a label draws again, which then finds nothing to drop. */
  function tidySankey(div) {
    if (!(div._fullData || []).some(t => t.type === "sankey" && t.visible === true)) return Promise.resolve();
    const box = div.getBoundingClientRect();
    const nodes = new Map();
    div.querySelectorAll(".sankey-node").forEach(g => {
      const d = g.__data__, text = g.querySelector(".node-label");
      if (!d || !d.node || !text || !text.textContent.trim()) return;
      const curve = d.node.curveNumber;
      if (!nodes.has(curve)) nodes.set(curve, []);
      nodes.get(curve).push({index: d.node.pointNumber, value: d.node.value, r: text.getBoundingClientRect()});
    });
    const apart = (a, b) => a.right <= b.left + 1 || a.left >= b.right - 1 || a.bottom <= b.top + 1 || a.top >= b.bottom - 1;
    const drawn = [];
    nodes.forEach((found, curve) => {
      const kept = [], dropped = [];
      found.sort((a, b) => b.value - a.value).forEach(n => {
        const inside = n.r.left >= box.left - 1 && n.r.right <= box.right + 1;
        (inside && kept.every(k => apart(n.r, k.r)) ? kept : dropped).push(n);
      });
      div.dataset.tidied = String(Number(div.dataset.tidied || 0) + 1);  // tests wait for this
      if (!dropped.length) return;
      const labels = div.data[curve].node.label.slice();
      dropped.forEach(n => { labels[n.index] = ""; });
      drawn.push(Plotly.restyle(div, {"node.label": [labels]}, [curve]));
    });
    return Promise.all(drawn);
  }
  function draw(div) {
    if (div.dataset.drawn) return Promise.resolve();
    div.dataset.drawn = "1";
    const spec = JSON.parse(specs.get(div.id).textContent);
    fit(spec, div.clientWidth || window.innerWidth);
    div.style.height = spec.layout.height + "px";
    return Plotly.newPlot(div, spec.data, spec.layout, CONFIG).then(() => {
      if (!spec.data.some(t => t.type === "sankey")) return null;
      let later = 0;  // a redraw moves the nodes for half a second (plotly's sankey transition): tidy after it
      div.on("plotly_afterplot", () => { clearTimeout(later); later = setTimeout(() => tidySankey(div), 600); });
      return tidySankey(div);
    });
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
