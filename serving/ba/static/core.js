// skinlab BA page, shared by every step: labels and the language switch, DOM helpers, the
// page's state, calls to the JSON API, and error boxes in the customer's words.
const LABELS = JSON.parse(document.getElementById("ba-labels").textContent);
const LANG_KEY = "skinlab.ba.lang";
export const $ = (id) => document.getElementById(id);

const query = new URLSearchParams(location.search).get("lang");
let lang = query === "en" || query === "zh" ? query : localStorage.getItem(LANG_KEY) || "zh";
localStorage.setItem(LANG_KEY, lang);

export const isChinese = () => lang === "zh";

export function t(key, fields = {}) {
  let text = (LABELS[lang] || {})[key];
  if (text === undefined) text = key;
  for (const [name, value] of Object.entries(fields)) text = text.replace(`{${name}}`, value);
  return text;
}
export const say = (zh, en) => (lang === "zh" ? zh || en : en || zh);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

// Re-rendered whenever the language changes.
const renderers = [];
export const onLanguage = (render) => renderers.push(render);
export function applyLanguage() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach((node) => { node.textContent = t(node.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((node) => {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  });
  const hidden = $("sign-in-lang");
  if (hidden) hidden.value = lang;
  renderers.forEach((render) => render());
}
$("lang-toggle").addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  localStorage.setItem(LANG_KEY, lang);
  applyLanguage();
});

const main = document.querySelector("main[data-store]");
export const CONCERNS = main ? main.dataset.concerns.split(",") : [];
export const state = {
  storeId: main ? main.dataset.store : null, userId: null, analysis: null, previous: null,
  photoUrl: null, overlay: null, formula: null, confirmed: false, facing: "user", stream: null,
  usedCamera: false, solveSeq: 0, avoid: [], errors: {}, status: {}, step: 1, guide: null,
};

// A slow spa connection gets a minute; then the BA is told to check it rather than wait on.
const TIMEOUT_MS = 60000;
export async function api(method, path, body) {
  // The header tells the API this is the signed-in page (serving/auth.py); a cross-site form
  // cannot send it.
  const init = { method, credentials: "same-origin", headers: { "x-requested-with": "skinlab-ba" } };
  if (AbortSignal.timeout) init.signal = AbortSignal.timeout(TIMEOUT_MS);  // older tablets: none
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["content-type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (_) {
    throw { code: "NETWORK", label: "network_error" };
  }
  const data = await response.json().catch(() => null);
  if (response.status === 401 && path.startsWith("/ba/")) {
    location.assign("/ba/sign-in");
    throw { code: "SIGN_IN_REQUIRED", label: "signed_out" };
  }
  if (!response.ok) throw (data && data.error) || { code: `HTTP_${response.status}`, label: "error_generic" };
  return data;
}

// An error box: the customer's words in the page language and what to do next; a step adds
// its own parts (a retake button, an impossible formula's conflicts) with addErrorPart.
const errorParts = {};
export const addErrorPart = (boxId, part) => { errorParts[boxId] = part; };
export function showError(boxId, error, titleKey) {
  state.errors[boxId] = error ? { error, titleKey } : null;
  renderError(boxId);
}
function renderError(boxId) {
  const box = $(boxId);
  const entry = state.errors[boxId];
  box.replaceChildren();
  box.hidden = !entry;
  if (!entry) return;
  const { error, titleKey } = entry;
  box.dataset.code = error.code || "";
  if (titleKey) box.append(el("strong", {}, t(titleKey)));
  box.append(el("p", { class: "message" }, error.label ? t(error.label) : say(error.message_zh, error.message)));
  const tip = say(error.hint_zh, error.hint);
  if (tip) box.append(el("p", { class: "tip" }, tip));
  if (errorParts[boxId]) errorParts[boxId](box, error);
}
export function setStatus(id, key, fields) {
  state.status[id] = key ? { key, fields } : null;
  $(id).textContent = key ? t(key, fields) : "";
}
onLanguage(() => {
  Object.keys(state.errors).forEach(renderError);
  Object.entries(state.status).forEach(([id, s]) => { $(id).textContent = s ? t(s.key, s.fields) : ""; });
});

// Panels shown beside some steps (data-steps="1 3"), once a customer is chosen.
export function showStepPanels() {
  document.querySelectorAll("[data-steps]").forEach((node) => {
    node.hidden = !state.userId || !node.dataset.steps.split(" ").includes(String(state.step));
  });
}

export function goTo(step) {
  state.step = step;
  showStepPanels();
  const sections = ["step-customer", "step-photo", "step-results", "step-formula"];
  sections.forEach((id, index) => { $(id).hidden = index + 1 !== step; });
  document.querySelectorAll(".step").forEach((node) => {
    const n = Number(node.dataset.step);
    node.classList.toggle("current", n === step);
    node.classList.toggle("done", n < step);
  });
  window.scrollTo(0, 0);
}
