// The monthly-card panel, for the BA (beside steps 1 and 3): whether to offer this customer the
// card, from GET /users/{id}/profile (the calibrated 90-day probability and what raises it, the
// value score, the segments), and a form logging the conversation (POST /users/{id}/contacts).
import { $, api, el, onLanguage, say, showError, showStepPanels, t } from "./core.js";

const { cutoffs, value_keys: VALUE_KEYS } = JSON.parse($("ba-card").textContent);
// Answers, not faults: each is shown as a verdict with a sentence, never as an error box.
const ANSWERS = {
  USER_NOT_FOUND: ["no_data", "no_events"],
  EVENTS_UNAVAILABLE: ["no_data", "events_unavailable"],
  OTHER_STORE: ["other_store", "other_store"],
};

let panel = { status: "empty" };
let seq = 0;

export async function loadCard(userId) {
  const mine = ++seq;
  panel = { status: userId ? "loading" : "empty", userId };
  render();
  showStepPanels();
  if (!userId) return;
  let next;
  try {
    next = { status: "ready", userId, profile: await api("GET", `/users/${encodeURIComponent(userId)}/profile`) };
  } catch (error) {
    next = { status: "error", userId, error };
  }
  if (mine !== seq) return;  // the BA has moved on to another customer
  panel = next;
  render();
}

// Cut-offs from serving/ba/card_levels.py: high >= 3x the base rate, medium >= the base rate.
function level(p) {
  if (!cutoffs) return null;
  return p >= cutoffs.high ? "high" : p >= cutoffs.medium ? "medium" : "low";
}
function verdict(profile) {
  if (profile.card_holder) return "holder";
  if (!profile.eligible) return "contacted";  // an EBA touch or a logged offer in the cool-down
  return level(profile.probability) === "low" ? "low" : "recommend";
}
const percent = (p) => (p < 0.001 ? "<0.1%" : `${(100 * p).toFixed(1)}%`);
const number = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(Math.abs(x) >= 100 ? 0 : 1));
const day = (iso) => new Date(iso).toLocaleDateString("sv-SE");  // YYYY-MM-DD

function verdictBox(kind, note) {
  return el("div", { class: `verdict verdict-${kind}`, id: "card-verdict", "data-verdict": kind },
    el("strong", {}, t(`verdict_${kind}`)), el("span", {}, note));
}

function render() {
  const body = $("card-body");
  $("contact-form").hidden = true;
  if (panel.status === "empty") return body.replaceChildren();
  if (panel.status === "loading") return body.replaceChildren(el("p", { class: "note" }, t("card_loading")));
  if (panel.status === "error") {
    const answer = ANSWERS[panel.error.code];
    if (answer) return body.replaceChildren(verdictBox(answer[0], t(answer[1])));
    const detail = say(panel.error.message_zh, panel.error.message);
    return body.replaceChildren(el("div", { class: "error", role: "alert" }, t("card_error"), detail ? ` ${detail}` : ""));
  }
  const p = panel.profile;
  const kind = verdict(p);
  const lvl = level(p.probability);
  const parts = [
    verdictBox(kind, t(`verdict_${kind}_note`)),
    el("div", { class: "card-grid" },
      el("div", {},
        el("p", { class: "probability", id: "card-probability", "data-level": lvl || "" },
          lvl ? el("span", { class: `level level-${lvl}` }, t(`level_${lvl}`)) : null,
          el("b", {}, percent(p.probability)), " ", t("probability"),
          cutoffs ? el("span", { class: "lift" }, t("lift", { x: (p.probability / cutoffs.base_rate).toFixed(1) })) : null),
        cutoffs ? el("p", { class: "note" }, t("levels_note", { base: (100 * cutoffs.base_rate).toFixed(1) })) : null,
        el("h3", {}, t("reasons_title")), reasons(p.reasons),
        el("h3", {}, t("segments_title")), segments(p.segments)),
      el("div", {}, el("h3", {}, t("value_title")), valueBars(p.value))),
    lastContact(p.contacts),
    el("p", { class: "note" }, t("as_of", { date: p.as_of.slice(0, 10) })),
  ];
  body.replaceChildren(...parts.filter(Boolean));
  $("contact-form").hidden = p.card_holder;
}
onLanguage(render);

function reasons(list) {
  if (!list.length) return el("p", { class: "note", id: "card-reasons" }, t("reasons_none"));
  const colon = say("：", ": ");
  return el("ul", { class: "reasons", id: "card-reasons" }, list.map((r) => el("li", { "data-feature": r.feature },
    `${say(r.zh, r.en)}${colon}`, el("b", {}, number(r.value)))));
}

function segments(list) {
  if (!list.length) return el("p", { class: "note", id: "card-segments" }, t("segments_none"));
  return el("div", { class: "chips", id: "card-segments" },
    list.map((s) => el("span", { class: "tag", "data-code": s.code }, say(s.zh, s.en))));
}

// One CSS bar per value dimension (0-100), the total last and in bold.
function valueBars(value) {
  return el("div", { class: "meters", id: "card-value" }, VALUE_KEYS.map((key) => {
    const score = Math.max(0, Math.min(100, value[key]));
    const fill = el("span", { class: "fill" });
    fill.style.width = `${score}%`;
    return el("div", { class: `meter-row${key === "total" ? " total" : ""}`, "data-dim": key },
      el("span", { class: "name" }, t(`v_${key}`)),
      el("span", {
        class: "meter", role: "meter", "aria-label": t(`v_${key}`),
        "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(Math.round(score)),
      }, fill),
      el("b", {}, String(Math.round(score))));
  }));
}

function lastContact(contacts) {
  const last = contacts && contacts[0];
  if (!last) return null;
  return el("p", { id: "card-last-contact" }, el("strong", {}, `${t("last_contact")}: `),
    [day(last.contacted_at), t(`o_${last.outcome}`), last.store_id, last.note].filter(Boolean).join(" · "));
}

$("contact-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (panel.status !== "ready") return;
  const { userId } = panel;
  const note = $("contact-note").value.trim();
  const body = { channel: "store", outcome: $("contact-outcome").value };
  if (note) body.note = note;
  showError("contact-error", null);
  $("contact-save").disabled = true;
  try {
    await api("POST", `/users/${encodeURIComponent(userId)}/contacts`, body);
    $("contact-note").value = "";
    await loadCard(userId);  // the profile now says contacted: no second offer in the cool-down
  } catch (error) {
    showError("contact-error", error);
  } finally {
    $("contact-save").disabled = false;
  }
});
