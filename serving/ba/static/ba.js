// skinlab BA page: customer -> consent -> photo -> results -> formula -> compounding sheet.
// Plain ES modules, no build; the steps call the public JSON API (/analyze, /users, /formulate).
import { applyLanguage } from "./core.js";

if (document.querySelector("main[data-store]")) {
  await Promise.all([import("./customer.js"), import("./photo.js")]);
}
applyLanguage();
