// FGNN Studio's session strip (pages/_session_strip.py, docs/performance.md): one card per click
// with "move earlier", "move later" and "remove" buttons, drawn in the app's page from one list of
// labels instead of four Streamlit elements per click. A button press is one trigger value "edit"
// = {op, pos, item}; the server checks it against the session (fgnn.builder.strip_edit).
// Labels are set as text, never as HTML (item names may come from an uploaded file).

const BUTTONS = [
  ["left", "\u2039", "move earlier"],
  ["right", "\u203a", "move later"],
  ["remove", "\u2715", "remove this click"],
];

export default function ({ data, parentElement, setTriggerValue }) {
  let root = parentElement.querySelector(".fgnn-strip");
  if (!root) {
    root = document.createElement("div");
    root.className = "fgnn-strip";
    parentElement.appendChild(root);
  }
  root.__send = setTriggerValue;
  const clicks = (data && data.clicks) || [];
  const total = (data && data.total) || clicks.length;
  const cards = document.createDocumentFragment();
  for (const c of clicks) {
    const card = document.createElement("div");
    card.className = "fgnn-strip-card";
    const label = document.createElement("div");
    label.className = "fgnn-strip-label";
    const num = document.createElement("b");
    num.textContent = `${c.pos + 1}.`;
    const code = document.createElement("code");
    code.textContent = String(c.label);
    label.title = String(c.label);
    label.append(num, " ", code);
    const row = document.createElement("div");
    row.className = "fgnn-strip-buttons";
    for (const [op, glyph, what] of BUTTONS) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = `fgnn-strip-${op}`;
      b.textContent = glyph;
      b.title = what;
      b.setAttribute("aria-label", `${what}: click ${c.pos + 1}`);
      b.dataset.pos = String(c.pos);
      b.disabled = (op === "left" && c.pos === 0) || (op === "right" && c.pos === total - 1);
      b.addEventListener("click", () => root.__send("edit", { op: op, pos: c.pos, item: c.item }));
      row.append(b);
    }
    card.append(label, row);
    cards.append(card);
  }
  root.replaceChildren(cards);
}
