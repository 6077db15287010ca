// Step 1: find or add the customer (a phone number becomes an id on the server), and consent;
// the monthly-card panel for that customer opens beside it.
import { loadCard } from "./card.js";
import { $, api, goTo, setStatus, showError, state } from "./core.js";

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
    loadCard(found.user_id);
    try {
      const history = await api("GET", `/users/${encodeURIComponent(found.user_id)}/analyses?limit=1`);
      setStatus("customer-status", "customer_known", { n: history.count });
    } catch (error) {
      if (error.code !== "USER_NOT_FOUND") throw error;
      setStatus("customer-status", "customer_new");
    }
  } catch (error) {
    state.userId = null;
    loadCard(null);
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
