// Step 2: the photo, from the tablet camera (live hints on light, movement and sharpness) or a file, shrunk in the
// browser before upload for slow connections; a refusal is explained in the customer's words.
import { $, addErrorPart, api, el, goTo, onLanguage, setStatus, showError, state, t } from "./core.js";
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
// Twice a second, hints only (face, sharpness and pose are judged by /analyze after the shot):
// - light: mean luma of a 48x36 copy of the frame;
// - movement: mean |change| of that luma since the last look (movement blurs tablet photos);
// - sharpness: variance of the 4-neighbour Laplacian of the luma inside the face oval, drawn at
//   120x160. On the photos in data/faces scaled to 1280 px it is 130-1500 when sharp, 35-216
//   after a Gaussian blur of sigma 4 px and 3-32 after sigma 8, so SHARPNESS_MIN only flags a
//   clearly blurred picture (skin is smooth: a sharp face scores lower than a sharp poster).
const MOVEMENT_LIMIT = 14;  // luma levels (0-255) between two looks half a second apart
const SHARPNESS_MIN = 20;
const OVAL = { x: 0.25, y: 0.08, w: 0.5, h: 0.8 };  // as .camera .oval in ba.css

function lumaOf(ctx, width, height) {
  const px = ctx.getImageData(0, 0, width, height).data;
  const luma = new Float32Array(width * height);
  for (let i = 0; i < luma.length; i++) luma[i] = 0.299 * px[4 * i] + 0.587 * px[4 * i + 1] + 0.114 * px[4 * i + 2];
  return luma;
}
export function laplacianVariance(luma, width, height) {
  let sum = 0, squares = 0, n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const lap = luma[i - 1] + luma[i + 1] + luma[i - width] + luma[i + width] - 4 * luma[i];
      sum += lap; squares += lap * lap; n++;
    }
  }
  return n ? squares / n - (sum / n) ** 2 : 0;
}
function probe(width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width; canvas.height = height;
  return canvas.getContext("2d", { willReadFrequently: true });
}

function guideLoop() {
  const video = $("video");
  const small = probe(48, 36), face = probe(120, 160);
  let previous = null;
  const tick = () => {
    if (!state.stream) return;
    if (video.videoWidth) {
      small.drawImage(video, 0, 0, 48, 36);
      const luma = lumaOf(small, 48, 36);
      let sum = 0, moved = 0;
      for (let i = 0; i < luma.length; i++) {
        sum += luma[i];
        if (previous) moved += Math.abs(luma[i] - previous[i]);
      }
      const mean = sum / luma.length;
      const moving = previous !== null && moved / luma.length > MOVEMENT_LIMIT;
      previous = luma;
      const vw = video.videoWidth, vh = video.videoHeight;
      face.drawImage(video, OVAL.x * vw, OVAL.y * vh, OVAL.w * vw, OVAL.h * vh, 0, 0, 120, 160);
      const sharpness = laplacianVariance(lumaOf(face, 120, 160), 120, 160);
      const key = mean < 60 ? "guide_dark" : mean > 215 ? "guide_bright" : moving ? "guide_moving"
        : sharpness < SHARPNESS_MIN ? "guide_blurry" : "guide_ok";
      state.guide = { key, light: Math.round(mean), sharpness: Math.round(sharpness) };
      renderGuide();
    }
    setTimeout(tick, 500);
  };
  tick();
}
function renderGuide() {
  const g = state.guide;
  if (!g) return;
  $("guide").dataset.key = g.key;
  $("guide").dataset.sharpness = String(g.sharpness);
  $("guide-text").textContent = t(g.key);
  $("guide-measures").textContent = t("guide_measures", { light: g.light, sharpness: g.sharpness });
}
onLanguage(renderGuide);
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
