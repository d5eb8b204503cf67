
/* Text first, charts after: plotly.js is at the end of the page, so the headline shows at once; charts are
   drawn one at a time, those on screen first, yielding in between so the page stays responsive.
   window.leftshiftReady resolves when every chart is drawn (tests wait for it). */
(function () {
  const divs = Array.from(document.querySelectorAll("div.figure"));
  const specs = new Map(Array.from(document.querySelectorAll("script.figure-spec")).map(s => [s.dataset.for, s]));
  function draw(div) {
    if (div.dataset.drawn) return Promise.resolve();
    div.dataset.drawn = "1";
    const spec = JSON.parse(specs.get(div.id).textContent);
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
  window.addEventListener("beforeprint", () => divs.forEach(draw));
})();
