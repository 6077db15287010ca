// skinlab BA page: customer -> consent -> photo -> results -> formula -> compounding sheet.
// Plain JS, no build; it calls the public JSON API (/analyze, /users, /formulate) with fetch().
(() => {
  "use strict";

  const LABELS = JSON.parse(document.getElementById("ba-labels").textContent);
  const LANG_KEY = "skinlab.ba.lang";
  const MAX_SIDE = 1280;
  const JPEG_QUALITY = 0.85;
  const $ = (id) => document.getElementById(id);

  const query = new URLSearchParams(location.search).get("lang");
  let lang = query === "en" || query === "zh" ? query : localStorage.getItem(LANG_KEY) || "zh";
  localStorage.setItem(LANG_KEY, lang);

  function t(key, fields = {}) {
    let text = (LABELS[lang] || {})[key];
    if (text === undefined) text = key;
    for (const [name, value] of Object.entries(fields)) text = text.replace(`{${name}}`, value);
    return text;
  }
  const say = (zh, en) => (lang === "zh" ? zh || en : en || zh);

  function el(tag, attrs = {}, ...children) {
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
  function applyLanguage() {
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
  if (!main) { applyLanguage(); return; }  // the sign-in page needs only the language switch

  const CONCERNS = main.dataset.concerns.split(",");
  const state = {
    storeId: main.dataset.store, userId: null, analysis: null, previous: null, photoUrl: null,
    overlay: null, formula: null, confirmed: false, facing: "user", stream: null, solveSeq: 0,
    avoid: [], errors: {}, status: {}, usedCamera: false,
  };

  // ---- talking to the API -------------------------------------------------------------------
  // A slow spa connection gets a minute; then the BA is told to check it rather than wait on.
  const TIMEOUT_MS = 60000;
  async function api(method, path, body) {
    const init = { method, credentials: "same-origin", headers: {} };
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

  // An error box: the customer's words in the page language, what to do next, and for an
  // impossible formula the conflicting requirements and the smallest relaxation.
  function showError(boxId, error, titleKey) {
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
    const tip = lang === "zh" ? t(`q_${error.code}`) : error.hint;
    if (tip && tip !== `q_${error.code}`) box.append(el("p", { class: "tip" }, tip));
    if (boxId === "photo-error") {
      box.append(el("button", {
        type: "button", class: "button", id: "retake",
        onclick: () => (state.usedCamera ? openCamera() : $("file").click()),
      }, t("retake")));
    }
    const details = error.details || {};
    if (error.code === "INFEASIBLE_FORMULA") {
      box.append(el("p", {}, el("strong", {}, t("conflicts"))));
      box.append(el("ul", { class: "conflicts" }, (details.conflicts || []).map((c) => el("li", {}, say(c.zh, c.en)))));
      if (details.smallest_relaxation) {
        const r = details.smallest_relaxation;
        box.append(el("p", { class: "relaxation" }, el("strong", {}, `${t("smallest_relaxation")}: `), say(r.zh, r.en)));
        // A price cap has a number to apply; other relaxations are the BA's call.
        if (r.constraint === "price_cap" && typeof r.value === "number") {
          box.append(el("button", {
            type: "button", class: "button", id: "apply-relaxation",
            onclick: () => { $("price-cap").value = String(Math.ceil(r.value)); solve(); },
          }, t("apply_relaxation")));
        }
      }
    }
  }
  function setStatus(id, key, fields) {
    state.status[id] = key ? { key, fields } : null;
    $(id).textContent = key ? t(key, fields) : "";
  }
  renderers.push(() => {
    Object.keys(state.errors).forEach(renderError);
    Object.entries(state.status).forEach(([id, s]) => { $(id).textContent = s ? t(s.key, s.fields) : ""; });
  });

  function goTo(step) {
    const sections = ["step-customer", "step-photo", "step-results", "step-formula"];
    sections.forEach((id, index) => { $(id).hidden = index + 1 !== step; });
    document.querySelectorAll(".step").forEach((node) => {
      const n = Number(node.dataset.step);
      node.classList.toggle("current", n === step);
      node.classList.toggle("done", n < step);
    });
    window.scrollTo(0, 0);
  }

  // ---- 1. customer and consent -----------------------------------------------------------------
  $("customer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const phone = $("phone").value.trim();
    const userId = $("user-id").value.trim();
    showError("customer-error", null);
    if (!phone && !userId) return showError("customer-error", { label: "customer_needed" });
    try {
      const found = await api("POST", "/ba/customers", phone ? { phone } : { user_id: userId });
      state.userId = found.user_id;
      $("phone").value = "";  // the number is not kept, not even on the screen
      $("user-id").value = found.user_id;
      try {
        const history = await api("GET", `/users/${encodeURIComponent(found.user_id)}/analyses?limit=1`);
        setStatus("customer-status", "customer_known", { n: history.count });
      } catch (error) {
        if (error.code !== "USER_NOT_FOUND") throw error;
        setStatus("customer-status", "customer_new");
      }
    } catch (error) {
      state.userId = null;
      setStatus("customer-status", null);
      showError("customer-error", error);
    }
  });
  $("to-photo").addEventListener("click", () => {
    if (!state.userId) return showError("customer-error", { label: "customer_needed" });
    if (!$("consent").checked) return showError("customer-error", { code: "CONSENT_REQUIRED", label: "consent_needed" });
    showError("customer-error", null);
    goTo(2);
  });

  // ---- 2. photo: camera with live light guidance, or a file; compressed before upload --------
  async function openCamera() {
    stopCamera();
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return setStatus("photo-status", "camera_unavailable");
    }
    try {
      state.stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: state.facing, width: { ideal: 1280 }, height: { ideal: 960 } }, audio: false,
      });
    } catch (_) {
      return setStatus("photo-status", "camera_unavailable");
    }
    const video = $("video");
    video.srcObject = state.stream;
    await video.play().catch(() => {});
    $("camera").hidden = false;
    $("camera-switch").hidden = false;
    $("capture").hidden = false;
    setStatus("photo-status", null);
    guideLoop();
  }
  function stopCamera() {
    if (state.stream) state.stream.getTracks().forEach((track) => track.stop());
    state.stream = null;
    $("camera").hidden = true;
    $("capture").hidden = true;
  }
  // Mean brightness of a small copy of the frame, twice a second (the server judges the rest).
  function guideLoop() {
    const video = $("video");
    const probe = document.createElement("canvas");
    probe.width = 48; probe.height = 36;
    const ctx = probe.getContext("2d", { willReadFrequently: true });
    const tick = () => {
      if (!state.stream) return;
      if (video.videoWidth) {
        ctx.drawImage(video, 0, 0, probe.width, probe.height);
        const px = ctx.getImageData(0, 0, probe.width, probe.height).data;
        let sum = 0;
        for (let i = 0; i < px.length; i += 4) sum += 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
        const mean = sum / (px.length / 4);
        $("guide").dataset.key = mean < 60 ? "guide_dark" : mean > 215 ? "guide_bright" : "guide_ok";
        $("guide").textContent = t($("guide").dataset.key);
      }
      setTimeout(tick, 500);
    };
    tick();
  }
  $("camera-open").addEventListener("click", openCamera);
  $("camera-switch").addEventListener("click", () => {
    state.facing = state.facing === "user" ? "environment" : "user";
    openCamera();
  });
  $("capture").addEventListener("click", async () => {
    const video = $("video");
    if (!video.videoWidth) return;
    const blob = await compress(video, video.videoWidth, video.videoHeight);
    state.usedCamera = true;
    stopCamera();
    upload(blob);
  });
  $("file").addEventListener("change", async () => {
    const file = $("file").files[0];
    $("file").value = "";
    if (!file) return;
    let bitmap;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (_) {
      return showError("photo-error", { code: "INVALID_IMAGE", message_zh: "照片无法读取。", message: "The photo cannot be read." }, "photo_refused");
    }
    upload(await compress(bitmap, bitmap.width, bitmap.height));
  });

  // At most 1280 px on the long side, JPEG 0.85: a 12 MP photo becomes ~150-300 KB.
  function compress(source, width, height) {
    const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    canvas.getContext("2d").drawImage(source, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY));
  }

  async function upload(blob) {
    showError("photo-error", null);
    setStatus("photo-status", "analyzing");
    const form = new FormData();
    form.append("image", blob, "photo.jpg");
    form.append("consent", $("consent").checked ? "true" : "false");
    form.append("user_id", state.userId);
    form.append("overlays", "true");
    form.append("channel", "ba_tablet");
    try {
      const analysis = await api("POST", "/analyze", form);
      setStatus("photo-status", "compressed", { kb: Math.max(1, Math.round(blob.size / 1024)) });
      state.analysis = analysis;
      if (state.photoUrl) URL.revokeObjectURL(state.photoUrl);
      state.photoUrl = URL.createObjectURL(blob);
      state.previous = null;
      const history = await api("GET", `/users/${encodeURIComponent(state.userId)}/analyses?limit=2`);
      const mine = history.data.find((item) => item.analysis_id === analysis.analysis_id);
      state.previous = mine && mine.previous ? mine.previous : null;
      state.overlay = null;
      state.formula = null;
      renderResults();
      goTo(3);
    } catch (error) {
      setStatus("photo-status", null);
      showError("photo-error", error, "photo_refused");
    }
  }

  // ---- 3. results ----------------------------------------------------------------------------
  function renderResults() {
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
  renderers.push(renderResults);

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

  // ---- 4. formula: preferences re-solve on the spot ------------------------------------------
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
  renderers.push(renderBaseOptions);

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

  async function solve() {
    const seq = ++state.solveSeq;
    setStatus("formula-status", "solving");
    showError("formula-error", null);
    $("confirm").disabled = true;
    try {
      const answer = await api("POST", "/formulate", needs());
      if (seq !== state.solveSeq) return;  // a newer request is on its way
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
  renderers.push(renderFormula);

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
  $("confirm").addEventListener("click", () => { state.confirmed = true; renderFormula(); });
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
        el("dt", {}, t("date")), el("dd", {}, new Date().toISOString().slice(0, 10)),
        el("dt", {}, t("product_type")), el("dd", {}, t(`p_${f.product_type}`)),
        el("dt", {}, t("bottle")), el("dd", { id: "sheet-bottle" }, `${c.bottle_ml} ml · ${c.total_g} g`),
        el("dt", {}, "pH"), el("dd", {}, `${f.ph} (${f.ph_window[0]}–${f.ph_window[1]})`)),
      el("table", { id: "sheet-steps" },
        el("thead", {}, el("tr", {}, ["col_step", "col_what", "col_grams", "col_note"].map((k) => el("th", {}, t(k))))),
        el("tbody", {}, c.steps.map((s) => el("tr", {},
          el("td", {}, String(s.order)), el("td", {}, say(s.what_zh, s.what)),
          el("td", { class: "grams" }, fmt(s.grams)), el("td", {}, say(s.note_zh, s.note)))))),
      el("h3", {}, t("label_zh")), el("p", {}, lang === "zh" ? f.label_zh : f.label_inci),
      el("h3", {}, t("warnings")), el("ul", {}, f.warnings.map((w) => el("li", {}, say(w.zh, w.en)))),
    );
  }

  applyLanguage();
})();
