// skinlab BA page: customer -> consent -> photo -> results -> formula -> compounding sheet.
// Plain ES modules, no build; the steps call the public JSON API (/analyze, /users, /formulate).
import { applyLanguage } from "./core.js";

if (document.querySelector("main[data-store]")) {
  await Promise.all([import("./customer.js"), import("./photo.js")]);
}
applyLanguage();
// Every step's handlers are attached now (the browser tests wait for this before a click).
document.body.dataset.ready = "true";
