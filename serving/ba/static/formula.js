// Step 4: the proposed formula with its reasons; every preference re-solves on the spot; an
// impossible request shows its conflicts; confirm gives the SKU and the compounding sheet.
import {
  $, addErrorPart, api, el, isChinese, onLanguage, say, setStatus, showError, state, t,
} from "./core.js";

addErrorPart("formula-error", (box, error) => {
  if (error.code !== "INFEASIBLE_FORMULA") return;
  const details = error.details || {};
  box.append(el("p", {}, el("strong", {}, t("conflicts"))));
  box.append(el("ul", { class: "conflicts" }, (details.conflicts || []).map((c) => el("li", {}, say(c.zh, c.en)))));
  const r = details.smallest_relaxation;
  if (!r) return;
  box.append(el("p", { class: "relaxation" }, el("strong", {}, `${t("smallest_relaxation")}: `), say(r.zh, r.en)));
  // A price cap has a number to apply; other relaxations are the BA's call.
  if (r.constraint === "price_cap" && typeof r.value === "number") {
    box.append(el("button", {
      type: "button", class: "button", id: "apply-relaxation",
      onclick: () => { $("price-cap").value = String(Math.ceil(r.value)); solve(); },
    }, t("apply_relaxation")));
  }
});

const BASES = JSON.parse($("ba-bases").textContent);
// The bases of the chosen product type; "" lets the solver pick the best one.
function renderBaseOptions() {
  const chosen = $("base").value;
  const options = BASES.filter((b) => b.product_type === $("product-type").value);
  $("base").replaceChildren(
    el("option", { value: "" }, t("base_auto")),
    ...options.map((b) => el("option", { value: b.id }, say(b.name_zh, b.name))),
  );
  $("base").value = options.some((b) => b.id === chosen) ? chosen : "";
}
onLanguage(renderBaseOptions);

function needs() {
  const cap = parseFloat($("price-cap").value);
  return {
    analysis_id: state.analysis.analysis_id,
    user_id: state.userId,
    store_id: state.storeId,
    product_type: $("product-type").value,
    base_id: $("base").value || null,
    bottle_ml: Number($("bottle").value),
    exclusions: $("fragrance-free").checked ? ["fragrance_free"] : [],
    pregnancy_safe: $("pregnancy-safe").checked,
    price_cap_rmb: cap > 0 ? cap : null,
    avoid: state.avoid,
  };
}

export async function solve() {
  const seq = ++state.solveSeq;
  setStatus("formula-status", "solving");
  showError("formula-error", null);
  $("confirm").disabled = true;
  try {
    // A proposal is a preview: nothing is stored until the BA confirms.
    const answer = await api("POST", "/formulate?issue=false&channel=ba_tablet", needs());
    if (seq !== state.solveSeq) return;  // a newer request is on its way
    // A different formula needs confirming again; a new bottle size keeps the same SKU.
    if (state.formula && answer.sku !== state.formula.sku) state.confirmed = false;
    state.formula = answer;
    setStatus("formula-status", null);
  } catch (error) {
    if (seq !== state.solveSeq) return;
    state.formula = null;
    state.confirmed = false;
    setStatus("formula-status", null);
    showError("formula-error", error);
  }
  renderFormula();
}

function renderFormula() {
  const answer = state.formula;
  $("confirm").disabled = !answer;
  $("sku-box").hidden = !(answer && state.confirmed);
  if (!answer) { $("formula").replaceChildren(); $("sheet").hidden = true; return; }
  const f = answer.formula;
  const modules = f.modules.map((m) => el("div", { class: "module" },
    el("h4", {}, say(m.name_zh, m.name), ` · ${m.inclusion_pct}%`),
    el("ul", {}, m.reasons.filter((r) => r.code !== "EVIDENCE").map((r) => el("li", {}, say(r.zh, r.en))))));
  $("formula").replaceChildren(
    el("p", {}, el("strong", {}, `${t("base")}: `), `${say(f.base.name_zh, f.base.name)} · ${f.base.share_pct}%`),
    el("h3", {}, t("modules")), ...modules,
    el("p", {}, el("strong", {}, `${t("price")}: `), `¥${f.cost.price_rmb.toFixed(2)} · ${f.compounding.bottle_ml} ml · pH ${f.ph}`),
    el("h3", {}, t("warnings")),
    el("ul", { class: "warnings" }, f.warnings.map((w) => el("li", {}, say(w.zh, w.en)))),
  );
  $("sku").textContent = answer.sku;
  renderSheet();
}
onLanguage(renderFormula);

function renderChips() {
  $("excluded").replaceChildren(...state.avoid.map((name) => el("button", {
    type: "button", class: "chip", "aria-pressed": "true", title: t("remove"),
    onclick: () => { state.avoid = state.avoid.filter((x) => x !== name); renderChips(); solve(); },
  }, `${name} ✕`)));
}
$("exclude-add").addEventListener("click", () => {
  const name = $("exclude").value.trim();
  $("exclude").value = "";
  if (name && !state.avoid.includes(name)) { state.avoid.push(name); renderChips(); solve(); }
});
$("exclude").addEventListener("keydown", (event) => {
  if (event.key === "Enter") { event.preventDefault(); $("exclude-add").click(); }
});
// Enter in the price field fires both change and submit: one solve is enough (an impossible
// request takes the server seconds to diagnose).
let pending = null;
function scheduleSolve() {
  clearTimeout(pending);
  pending = setTimeout(solve, 120);
}
$("product-type").addEventListener("change", renderBaseOptions);
["product-type", "base", "bottle", "fragrance-free", "pregnancy-safe", "price-cap"].forEach((id) => {
  $(id).addEventListener("change", scheduleSolve);
});
$("prefs").addEventListener("submit", (event) => { event.preventDefault(); scheduleSolve(); });

// ---- confirm, the SKU and the compounding sheet --------------------------------------------
$("confirm").addEventListener("click", async () => {
  $("confirm").disabled = true;
  try {
    // Confirming issues the SKU: the same needs give the same formula and code as the preview.
    state.formula = await api("POST", "/formulate?channel=ba_tablet", needs());
    state.confirmed = true;
  } catch (error) {
    showError("formula-error", error);
  }
  renderFormula();
});
$("sheet-open").addEventListener("click", () => {
  $("sheet").hidden = false;
  renderSheet();
  $("sheet").scrollIntoView({ block: "start" });
});
$("print").addEventListener("click", () => window.print());
$("next-customer").addEventListener("click", () => location.assign("/ba/"));

function renderSheet() {
  const answer = state.formula;
  if (!answer || $("sheet").hidden) return;
  const f = answer.formula;
  const c = f.compounding;
  $("sheet-sku").textContent = answer.sku;
  const fmt = (g) => (g === null || g === undefined ? "—" : `${g.toFixed(2)} g`);
  $("sheet-body").replaceChildren(
    el("dl", { class: "facts" },
      el("dt", {}, t("store")), el("dd", {}, state.storeId),
      el("dt", {}, t("customer")), el("dd", {}, state.userId),
      el("dt", {}, t("date")), el("dd", {}, new Date().toLocaleDateString("sv-SE")),  // YYYY-MM-DD, local day
      el("dt", {}, t("product_type")), el("dd", {}, t(`p_${f.product_type}`)),
      el("dt", {}, t("bottle")), el("dd", { id: "sheet-bottle" }, `${c.bottle_ml} ml · ${c.total_g} g`),
      el("dt", {}, "pH"), el("dd", {}, `${f.ph} (${f.ph_window[0]}–${f.ph_window[1]})`)),
    el("table", { id: "sheet-steps" },
      el("thead", {}, el("tr", {}, ["col_step", "col_what", "col_grams", "col_note"].map((k) => el("th", {}, t(k))))),
      el("tbody", {}, c.steps.map((s) => el("tr", {},
        el("td", {}, String(s.order)), el("td", {}, say(s.what_zh, s.what)),
        el("td", { class: "grams" }, fmt(s.grams)), el("td", {}, say(s.note_zh, s.note)))))),
    el("h3", {}, t("label_zh")), el("p", {}, isChinese() ? f.label_zh : f.label_inci),
    el("h3", {}, t("warnings")), el("ul", {}, f.warnings.map((w) => el("li", {}, say(w.zh, w.en)))),
  );
}
