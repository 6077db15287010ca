// Step 2: the photo, from the tablet camera (live light guidance) or a file, shrunk in the
// browser before upload for slow connections; a refusal is explained in the customer's words.
import { $, addErrorPart, api, el, goTo, setStatus, showError, state, t } from "./core.js";
import { renderResults } from "./results.js";

const MAX_SIDE = 1280;
const JPEG_QUALITY = 0.85;

addErrorPart("photo-error", (box) => {
  box.append(el("button", {
    type: "button", class: "button", id: "retake",
    onclick: () => (state.usedCamera ? openCamera() : $("file").click()),
  }, t("retake")));
});

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
// Twice a second on a 48x36 copy of the frame: mean brightness, and how much it changed since
// the last look (movement is what blurs tablet photos). Face, sharpness and pose are judged by
// /analyze after the shot; these are only hints.
const MOVEMENT_LIMIT = 14;  // mean |change| of luma (0-255) between two looks half a second apart
function guideLoop() {
  const video = $("video");
  const probe = document.createElement("canvas");
  probe.width = 48; probe.height = 36;
  const ctx = probe.getContext("2d", { willReadFrequently: true });
  let previous = null;
  const tick = () => {
    if (!state.stream) return;
    if (video.videoWidth) {
      ctx.drawImage(video, 0, 0, probe.width, probe.height);
      const px = ctx.getImageData(0, 0, probe.width, probe.height).data;
      const luma = new Float32Array(px.length / 4);
      let sum = 0, moved = 0;
      for (let i = 0; i < luma.length; i++) {
        luma[i] = 0.299 * px[4 * i] + 0.587 * px[4 * i + 1] + 0.114 * px[4 * i + 2];
        sum += luma[i];
        if (previous) moved += Math.abs(luma[i] - previous[i]);
      }
      const mean = sum / luma.length;
      const moving = previous !== null && moved / luma.length > MOVEMENT_LIMIT;
      previous = luma;
      const key = mean < 60 ? "guide_dark" : mean > 215 ? "guide_bright" : moving ? "guide_moving" : "guide_ok";
      $("guide").dataset.key = key;
      $("guide").textContent = t(key);
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
