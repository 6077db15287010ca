// Step 3: the results: the aligned face with a heatmap per concern, an SVG bar chart of the
// scores, skin type and tone, and the change since the previous test.
import { $, CONCERNS, el, goTo, onLanguage, state, t } from "./core.js";
import { solve } from "./formula.js";

export function renderResults() {
  const a = state.analysis;
  if (!a) return;
  const overlays = a.overlays || {};
  // Heatmaps are drawn on the aligned face; without it they would not line up with the photo.
  const aligned = overlays.face ? `data:image/png;base64,${overlays.face}` : null;
  $("face-img").src = aligned || state.photoUrl;
  const buttons = [el("button", {
    type: "button", class: "chip", "aria-pressed": String(!state.overlay), onclick: () => pickOverlay(null),
  }, t("overlay_none"))];
  if (aligned) {
    CONCERNS.filter((c) => overlays[c]).forEach((c) => buttons.push(el("button", {
      type: "button", class: "chip", "data-concern": c, "aria-pressed": String(state.overlay === c),
      onclick: () => pickOverlay(c),
    }, t(`c_${c}`))));
  }
  $("overlay-buttons").replaceChildren(...buttons);
  $("chart").replaceChildren(scoreChart(a.scores, state.previous && state.previous.changes));
  const type = a.skin_type;
  $("skin-type").textContent = t(`t_${type.type}`) + (type.sensitive ? ` · ${t("sensitive")}` : "");
  $("tone").textContent = `${t(`tone_${a.tone.category}`)} · ITA ${Math.round(a.tone.ita_deg)}° · Fitzpatrick ${a.tone.fitzpatrick_estimate}`;
  $("changes").replaceChildren(changeList());
}
onLanguage(renderResults);

function pickOverlay(concern) {
  state.overlay = concern;
  const heat = $("heat-img");
  $("overlay-status").textContent = "";
  heat.hidden = !concern;
  if (concern) {
    heat.onerror = () => { heat.hidden = true; $("overlay-status").textContent = t("overlay_missing"); };
    heat.src = `data:image/png;base64,${state.analysis.overlays[concern]}`;
  }
  document.querySelectorAll("#overlay-buttons .chip").forEach((chip) => {
    chip.setAttribute("aria-pressed", String((chip.dataset.concern || null) === concern));
  });
}

// A horizontal bar per concern (0-100); a dark tick marks the previous test's score.
function scoreChart(scores, changes) {
  const NS = "http://www.w3.org/2000/svg";
  const rowH = 34, labelW = 110, barW = 250, height = CONCERNS.length * rowH + 8;
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${labelW + barW + 50} ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", t("scores_title"));
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(NS, tag);
    Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    svg.append(node);
    return node;
  };
  CONCERNS.forEach((c, i) => {
    const y = i * rowH + 4;
    const score = scores[c].score;
    add("text", { x: 0, y: y + 20, "font-size": 15, fill: "#1c1c1e" }, t(`c_${c}`));
    add("rect", { x: labelW, y: y + 6, width: barW, height: 18, rx: 4, fill: "#ece8e1" });
    add("rect", { x: labelW, y: y + 6, width: (barW * score) / 100, height: 18, rx: 4, fill: "#0b5d66", "data-concern": c });
    if (changes && changes[c] !== undefined && changes[c] !== null) {
      const before = Math.min(100, Math.max(0, score - changes[c]));
      add("rect", { x: labelW + (barW * before) / 100 - 1.5, y: y + 2, width: 3, height: 26, fill: "#1c1c1e" });
    }
    add("text", { x: labelW + barW + 8, y: y + 20, "font-size": 15, "font-weight": 700, fill: "#1c1c1e" }, Math.round(score));
  });
  return svg;
}

function changeList() {
  const changes = state.previous && state.previous.changes;
  if (!changes) return el("p", { class: "note", id: "no-previous" }, t("change_none"));
  return el("ul", { class: "changes" }, CONCERNS.filter((c) => changes[c] !== undefined && changes[c] !== null).map((c) => {
    const delta = changes[c];
    const kind = Math.abs(delta) < 1 ? "same" : delta < 0 ? "better" : "worse";
    const arrow = kind === "same" ? "＝" : delta < 0 ? "▼" : "▲";
    return el("li", { "data-concern": c }, `${t(`c_${c}`)} `, el("span", { class: kind }, `${arrow} ${delta > 0 ? "+" : ""}${delta.toFixed(1)} ${t(kind)}`));
  }));
}

$("to-formula").addEventListener("click", () => { goTo(4); solve(); });
