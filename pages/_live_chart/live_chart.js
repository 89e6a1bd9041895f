// FGNN Studio's "live" plotly chart (pages/_live_chart.py, docs/performance.md): one chart that stays
// mounted across reruns and is updated in place with Plotly.react, instead of being remounted and drawn
// from scratch whenever its figure changes. It runs in the app's page (a components.v2 component, no
// iframe), and loads the installed plotly package's own plotly.min.js there once per browser tab.

function loadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__fgnnPlotly) {
    window.__fgnnPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => { window.__fgnnPlotly = null; reject(new Error("plotly.js did not load")); };
      document.head.appendChild(script);
    });
  }
  return window.__fgnnPlotly;
}

// Keep the identity of every trace whose JSON did not change, so that Plotly.react treats it as
// unchanged data (plotly compares data arrays by identity when no datarevision is given).
function stableTraces(old, data) {
  return data.map((trace, i) => {
    const text = JSON.stringify(trace);
    return old[i] && old[i].text === text ? old[i] : {text: text, trace: trace};
  });
}

function layoutOf(layout, height, viewKey) {
  const out = Object.assign({}, layout, {height: height, autosize: true});
  delete out.width;
  out.paper_bgcolor = "rgba(0,0,0,0)";
  // the same view key keeps the person's zoom and pan across updates (plotly's uirevision)
  if (viewKey) out.uirevision = viewKey;
  return out;
}

export default function ({ data, parentElement, setTriggerValue }) {
  let gd = parentElement.querySelector(".fgnn-live-chart");
  if (!gd) {
    gd = document.createElement("div");
    gd.className = "fgnn-live-chart";
    gd.style.width = "100%";
    parentElement.appendChild(gd);
    gd.__traces = [];
  }
  const height = data.height || 450;
  gd.style.minHeight = height + "px";
  gd.__clickable = !!data.clickable;
  gd.__send = setTriggerValue;
  const render = (Plotly) => {
    const fig = data.figure || {data: [], layout: {}};
    const traces = stableTraces(gd.__traces, fig.data || []);
    gd.__traces = traces;
    const config = {displaylogo: false, responsive: true};
    return Plotly.react(gd, traces.map(t => t.trace), layoutOf(fig.layout || {}, height, data.view_key), config)
      .then(() => {
        gd.setAttribute("data-revision", String((+gd.getAttribute("data-revision") || 0) + 1));
        if (gd.__bound) return;
        gd.__bound = true;
        gd.on("plotly_click", ev => {
          if (!gd.__clickable) return;
          const p = ev && ev.points && ev.points[0];
          if (!p || p.customdata === undefined || p.customdata === null) return;
          const item = Array.isArray(p.customdata) ? p.customdata[0] : p.customdata;
          gd.__send("click", item);  // a trigger: one event per click, the same point twice is two
        });
      });
  };
  gd.__pending = (gd.__pending || Promise.resolve()).then(() => loadPlotly(data.plotly_url)).then(render)
    .catch(err => { gd.textContent = "The chart cannot be drawn: " + err.message; });
}
