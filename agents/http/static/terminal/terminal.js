/* Kitting user terminal: open a recipe or a guide, follow its basket, ask for quotes, confirm (accepting
   substitutes line by line), watch, and try a failed basket again with other choices.
   No framework: the whole page is rendered from the latest basket snapshot (idempotently). Money is
   shown as the backend computed it, never added up here. */
(function () {
  "use strict";

  const PROFILE_KEY = "kitting.profile";
  const CONTACT_KEY = "kitting.contact";
  const KIND_TITLES = { ingredient: "Ingredients", supply: "Supplies", tool: "Tools" };
  const DELIVERY_NAMES = { courier: "Courier", own: "The shop delivers", pickup: "Pick up at the shop" };
  // the payment methods, which fulfilments each goes with, and their words: from Kitting's payment rules
  const PAYMENT_RULES = (() => {
    try { return JSON.parse(document.getElementById("payment-rules").textContent); } catch (e) { return {}; }
  })();
  const GOOD_STATES = ["completed", "confirmed", "delivered", "captured", "cash-collected", "authorised"];
  const BAD_STATES = ["rejected", "cancelled", "failed", "voided", "refunded", "released"];
  const FINISHED = ["done", "failed"];
  // the first page after `kitting up` waits for the worker to join the broker: say so rather than stall
  const SLOW_READING_MS = 4000;
  const SLOW_READING = "Still reading the page… Kitting's worker may still be starting (the first page after a start can take up to 20 seconds); this page follows it on its own.";
  const CONTACT_FIELDS = { "contact-name": "name", "contact-address": "street_address", "contact-phone": "phone", "contact-email": "email" };
  // where each field of a request is typed: its errors are shown there
  const FIELD_INPUTS = { url: "open-url", "contact.name": "contact-name", "contact.street_address": "contact-address",
    "contact.phone": "contact-phone", "contact.email": "contact-email", servings: "servings", region: "contact-region" };

  const state = {
    basketId: null, token: null, snapshot: null, source: null, pollTimer: null,
    generation: 0, componentsKey: null, picksKey: null, proposalKey: null, busy: new Set(), connectionError: false,
    accepted: new Map(),  // request_id -> the line ids whose substitute the person accepts
    prefilledFor: null, contactKept: false, shops: [],
  };

  const $ = (id) => document.getElementById(id);

  /* --- small helpers ----------------------------------------------------------------------- */

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    });
    children.flat().forEach((child) => {
      if (child === null || child === undefined || child === false) return;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
  const money = (m) => (m && m.amount !== undefined ? `${m.amount} ${m.currency || ""}`.trim() : "—");
  // amounts of goods (never money) are shown to at most two decimals: "25.21 g", not "25.213235 g"
  const amountText = (a) => (/^\d+\.\d{3,}$/.test(String(a)) ? String(Number(Number(a).toFixed(2))) : a);
  const quantity = (q) => (q ? [amountText(q.amount), unitText(q.unit, q.amount)].filter((p) => p !== null && p !== undefined && p !== "").join(" ") : "");
  // units a person reads as words take a plural ("3 cloves", "2 rolls"); a count of pieces is the number
  // alone ("1 red onion"); abbreviations and symbols stay as they are ("2 tbsp", "400 ml")
  const ABBREVIATIONS = new Set(["tbsp", "tsp", "dsp", "kg", "mg", "ml", "cl", "dl", "oz", "lb", "lbs", "cm", "mm",
    "qt", "pt", "gal", "fl oz", "in", "ft"]);
  function unitText(unit, amount) {
    if (!unit || unit === "piece" || unit === "pieces") return "";
    const one = Number(amount) === 1 || amount === null || amount === undefined;
    if (one || ABBREVIATIONS.has(unit) || !/^[a-z]{3,}$/i.test(unit) || /s$/i.test(unit)) return unit;
    if (/(ch|sh|x)$/i.test(unit)) return `${unit}es`;
    if (/[^aeiou]y$/i.test(unit)) return `${unit.slice(0, -1)}ies`;
    return `${unit}s`;
  }
  // packs as a person counts them: "2 × 400 ml", "3 × pack of 6", and single pieces just "2"
  function packsText(packs, pack) {
    if (pack && (!pack.unit || pack.unit === "piece" || pack.unit === "pieces")) {
      return Number(pack.amount) === 1 ? String(packs) : `${packs} × pack of ${amountText(pack.amount)}`;
    }
    return `${packs} × ${quantity(pack)}`;
  }
  // what is left over of a pack, rounded as a person says it ("about 440 ml", not "440.85 ml")
  function leftoverText(q) {
    const n = Number(q && q.amount);
    if (!Number.isFinite(n)) return quantity(q);
    const rounded = n >= 100 ? Math.round(n / 10) * 10 : n >= 10 ? Math.round(n) : Math.round(n * 10) / 10;
    return `${rounded === n ? "" : "about "}${quantity({ ...q, amount: String(rounded) })}`;
  }
  const last = (list) => (list && list.length ? list[list.length - 1] : null);
  const radioValue = (name) => {
    const checked = document.querySelector(`input[name="${name}"]:checked`);
    return checked ? checked.value : null;
  };
  const splitIds = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);

  /** The number in a method's stated yield, read as Kitting reads it ("Serves 4-6" -> 4). */
  function yieldNumber(methodYield) {
    const match = /\d+(?:[.,]\d+)?/.exec(methodYield || "");
    return match ? Number(match[0].replace(",", ".")) : null;
  }

  /** A quantity times factor, as Kitting scales it (to 0.001, never to nothing). */
  function scaledQuantity(q, factor) {
    if (!q || factor === 1 || q.amount === null || q.amount === undefined) return q;
    const amount = Math.round(Number(q.amount) * factor * 1000) / 1000;
    return Number.isFinite(amount) && amount > 0 ? { ...q, amount: String(amount) } : q;
  }

  function duration(minutes) {
    if (minutes == null || Number.isNaN(Number(minutes))) return "unknown";
    const total = Math.round(Number(minutes));
    if (total < 60) return `${total} min`;
    const rest = total % 60;
    return rest ? `${Math.floor(total / 60)} h ${rest} min` : `${Math.floor(total / 60)} h`;
  }

  function clock(iso) {  // in the browser's own time zone
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return String(iso || "");
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function readStore(key) {
    try { return JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }

  /** Store value under key (null: forget it); false when the browser refuses. */
  function writeStore(key, value) {
    try {
      if (value === null) window.localStorage.removeItem(key); else window.localStorage.setItem(key, JSON.stringify(value));
      return true;
    } catch (e) { return false; }
  }

  class UserError extends Error {}

  /** Errors of fields the person typed: [{field: input id, message}], each shown beside its field. */
  class FieldErrors extends Error {
    constructor(errors) { super(errors.map((e) => e.message).join(" ")); this.fields = errors; }
  }

  /* --- messages ---------------------------------------------------------------------------- */

  /** A message beside what caused it: after the button the person pressed (or at the top). */
  function showError(message, anchor) {
    const parts = Array.isArray(message) ? message : [message];
    const box = anchor ? actionError(anchor) : $("error");
    box.replaceChildren(parts.length > 1 ? el("ul", null, parts.map((p) => el("li", { text: p }))) : el("p", { text: parts[0] }));
    box.hidden = false;
    if (anchor) box.scrollIntoView({ block: "nearest" });
  }

  function actionError(anchor) {
    const id = `${anchor.id}-error`;
    let box = $(id);
    if (!box) {
      box = el("div", { id, class: "message message-error action-error", role: "alert" });
      (anchor.closest(".actions") || anchor).insertAdjacentElement("afterend", box);
    }
    return box;
  }

  function showFieldErrors(errors) {
    errors.forEach(({ field, message }) => {
      const input = $(field);
      if (!input) return;
      const id = `${field}-error`;
      const note = $(id) || el("p", { id, class: "field-error" });
      note.textContent = message;
      (input.closest(".field") || input.parentElement).appendChild(note);
      input.setAttribute("aria-invalid", "true");
      const described = (input.getAttribute("aria-describedby") || "").split(" ").filter((v) => v && v !== id);
      input.setAttribute("aria-describedby", [...described, id].join(" "));  // read out with the field
    });
    const first = errors.map((e) => $(e.field)).find(Boolean);
    if (first) first.focus();
  }

  function clearError() {
    $("error").replaceChildren();
    $("error").hidden = true;
    document.querySelectorAll(".action-error").forEach((box) => { box.hidden = true; box.replaceChildren(); });
    document.querySelectorAll(".field-error").forEach((note) => note.remove());
    document.querySelectorAll("[aria-invalid]").forEach((input) => {
      input.removeAttribute("aria-invalid");
      const kept = (input.getAttribute("aria-describedby") || "").split(" ").filter((v) => v && !v.endsWith("-error"));
      if (kept.length) input.setAttribute("aria-describedby", kept.join(" ")); else input.removeAttribute("aria-describedby");
    });
    state.connectionError = false;
  }

  function setStatus(text) {
    if ($("status").textContent !== text) $("status").textContent = text;
  }

  /* --- the API ----------------------------------------------------------------------------- */

  /** A validation message in the person's words: "Value error, give …" is "Give …". */
  function plainMessage(text) {
    const plain = String(text || "").replace(/^Value error, /, "").replace(/^String should have at least 1 character$/, "This is needed.");
    return plain.charAt(0).toUpperCase() + plain.slice(1);
  }

  /** FastAPI's {"detail": "reason"}, or for a 422 {"detail": [{loc, msg}]}: field errors where a field
      is named, else the messages to show. */
  function errorDetail(data, response) {
    const detail = data && data.detail;
    if (Array.isArray(detail)) {
      const fields = [], others = [];
      detail.forEach((d) => {
        const where = ((d && d.loc) || []).filter((part) => part !== "body").join(".");
        const field = FIELD_INPUTS[where];
        if (field) fields.push({ field, message: plainMessage(d.msg) });
        else others.push(plainMessage((d && d.msg) || d));
      });
      return fields.length && !others.length ? { fields } : [...others, ...fields.map((f) => f.message)];
    }
    if (detail) return typeof detail === "string" ? plainMessage(detail) : JSON.stringify(detail);
    return `Kitting could not do this just now (error ${response.status}). Try again in a moment.`;
  }

  async function api(method, path, body) {
    const options = { method, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch (e) {
      throw Object.assign(new Error("Kitting could not be reached. Check your connection and try again."), { status: 0 });
    }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!response.ok) throw Object.assign(new Error("request failed"), { status: response.status, detail: errorDetail(data, response) });
    return data;
  }

  function basketPath(suffix) {
    return `/v1/terminal/baskets/${encodeURIComponent(state.basketId)}${suffix}?token=${encodeURIComponent(state.token)}`;
  }

  /** Disable the buttons while fn runs; show its error; re-enable them (and re-apply the render). */
  async function withBusy(buttons, fn) {
    clearError();
    buttons.forEach((b) => { state.busy.add(b); b.disabled = true; b.setAttribute("aria-busy", "true"); });
    try {
      return await fn();
    } catch (e) {
      const fields = e instanceof FieldErrors ? e.fields : (e.detail && e.detail.fields);
      if (fields) showFieldErrors(fields);
      else showError(e.detail || e.message, buttons[0]);
      return undefined;
    } finally {
      buttons.forEach((b) => { state.busy.delete(b); b.disabled = false; b.removeAttribute("aria-busy"); });
      if (state.snapshot) render(state.snapshot);
    }
  }

  function setDisabled(button, disabled) {
    button.disabled = disabled || state.busy.has(button);
  }

  /* --- opening a page and following its basket ------------------------------------------- */

  async function openPage(url) {
    const buttons = [$("open-submit"), ...document.querySelectorAll("#demo-pages button")];
    await withBusy(buttons, async () => {
      if (!url) throw new FieldErrors([{ field: "open-url", message: "Enter the address of a recipe or guide, starting with https://" }]);
      const data = await api("POST", "/v1/terminal/open", { url });
      const query = `?basket=${encodeURIComponent(data.basket_id)}&token=${encodeURIComponent(data.token)}`;
      window.history.replaceState(null, "", query);
      follow(data.basket_id, data.token);
    });
  }

  /* A link from an upstream page carries a claim, traded here (on Kitting's own page) for the
     basket's token, once: the upstream page's scripts never hold the token. */
  async function claimBasket(basketId, claim) {
    try {
      const data = await api("POST", "/v1/terminal/claim", { basket_id: basketId, claim });
      const query = `?basket=${encodeURIComponent(data.basket_id)}&token=${encodeURIComponent(data.token)}`;
      window.history.replaceState(null, "", query);
      follow(data.basket_id, data.token);
    } catch (error) {
      showError(error.detail || "This link cannot be opened: open the page and press the button again.");
      setStatus("Open a recipe or a guide to start.");
    }
  }

  function stopFollowing() {
    state.generation += 1;
    if (state.source) { state.source.close(); state.source = null; }
    if (state.pollTimer) { clearTimeout(state.pollTimer); state.pollTimer = null; }
  }

  function finished() {
    return !!state.snapshot && FINISHED.includes(state.snapshot.next);
  }

  function follow(basketId, token) {
    stopFollowing();
    Object.assign(state, { basketId, token, snapshot: null, componentsKey: null, picksKey: null, proposalKey: null, contactKept: false });
    ["open", "components", "offers", "proposal", "by-hand", "orders", "done", "failed", "retry-block", "retrying"]
      .forEach((id) => { $(id).hidden = true; });
    $("choose-by-hand").setAttribute("aria-expanded", "false");
    setStatus("Reading the page…");
    state.followedAt = Date.now();
    clearTimeout(state.slowTimer);
    state.slowTimer = setTimeout(() => {  // say what it is waiting for, once reading takes long
      if (state.basketId === basketId && (!state.snapshot || waitingToRead(state.snapshot))) setStatus(SLOW_READING);
    }, SLOW_READING_MS);
    if (!("EventSource" in window)) { startPolling(); return; }
    const source = new EventSource(basketPath("/stream"));
    const onSnapshot = (event) => {
      if (state.source !== source) return;
      try { render(JSON.parse(event.data)); } catch (e) { console.error("snapshot not shown:", e); }
    };
    source.addEventListener("snapshot", onSnapshot);
    source.onmessage = onSnapshot;
    source.onerror = () => {
      source.close();
      if (state.source !== source) return;
      state.source = null;
      if (!finished()) startPolling();
    };
    state.source = source;
  }

  function startPolling() {
    if (state.pollTimer) return;
    const generation = state.generation;
    const tick = async () => {
      state.pollTimer = null;
      try {
        const snapshot = await api("GET", basketPath(""));
        if (generation !== state.generation) return;
        if (state.connectionError) clearError();
        render(snapshot);
      } catch (e) {
        if (generation !== state.generation) return;
        if (e.status >= 400 && e.status < 500) {
          showError(e.detail || e.message);
          setStatus("This basket cannot be shown.");
          $("open").hidden = false;
          return;
        }
        showError(`${e.detail || e.message} Trying again…`);
        state.connectionError = true;
      }
      if (generation === state.generation && !finished()) state.pollTimer = setTimeout(tick, 1000);
    };
    state.pollTimer = setTimeout(tick, 0);
  }

  /** The shops typed by name (or id, in any case): their ids, and the words that name no shop. */
  function shopIds(text) {
    const ids = [], unknown = [];
    splitIds(text).forEach((word) => {
      const key = word.toLowerCase();
      const shop = state.shops.find((s) => s.name.toLowerCase() === key || s.provider_id.toLowerCase() === key);
      if (shop) ids.push(shop.provider_id); else if (state.shops.length) unknown.push(word); else ids.push(word);
    });
    return { ids, unknown };
  }

  function shopName(id) {
    const shop = state.shops.find((s) => s.provider_id === id);
    return shop ? shop.name : id;
  }

  async function loadShops() {
    try { state.shops = await api("GET", "/v1/terminal/shops"); } catch (e) { state.shops = []; }
    $("shop-names").textContent = state.shops.length ? `The shops: ${state.shops.map((s) => s.name).join(", ")}.` : "";
    ["preferred-shops", "excluded-shops"].forEach((field) => {  // ids filled in before: their names
      $(field).value = splitIds($(field).value).map(shopName).join(", ");
    });
  }

  /** The regions some shop serves; with the kit's kinds, only those where a shop sells some of it. */
  async function loadRegions(kinds) {
    let regions;
    const query = kinds && kinds.length ? `?kinds=${encodeURIComponent(kinds.join(","))}` : "";
    try { regions = await api("GET", `/v1/terminal/regions${query}`); } catch (e) { return; }
    if (!Array.isArray(regions) || !regions.length) return;
    const chosen = $("contact-region").value;
    $("contact-region").replaceChildren(...regions.map((region) => el("option", { value: region, text: region })));
    $("contact-region").value = regions.includes(chosen) ? chosen : regions[0];
  }

  async function loadDemoPages() {
    let pages;
    try { pages = await api("GET", "/v1/terminal/demo-pages"); } catch (e) { return; }
    if (!Array.isArray(pages) || !pages.length) return;
    $("demo-pages").replaceChildren(...pages.map((page) => {
      const slug = String(page.url || "").replace(/[?#].*$/, "").replace(/\/+$/, "").split("/").pop()
        .toLowerCase().replace(/[^a-z0-9-]+/g, "-");
      const button = el("button", { type: "button", class: "link-button", "data-testid": `demo-${slug}`,
        text: page.title || page.url });
      button.addEventListener("click", () => { $("open-url").value = page.url; openPage(page.url); });
      return el("li", null, button, el("span", { class: "url", text: page.url }));
    }));
    $("demo-block").hidden = false;
  }

  /* --- rendering ------------------------------------------------------------------------- */

  function componentNames(snapshot) {
    const names = {};
    ((snapshot.method && snapshot.method.components) || []).forEach((c) => { names[c.line_id] = c.name || c.text; });
    return names;
  }

  function providerNames(snapshot) {
    const names = { ...(snapshot.providers || {}) };  // every party the basket met, the courier too
    (snapshot.offers || []).concat(snapshot.orders || []).forEach((o) => {
      if (o.provider_name) names[o.provider_id] = o.provider_name;
    });
    return (id) => names[id] || id;
  }

  function failureReason(snapshot) {
    const reason = (snapshot.method && !((snapshot.method.components || []).length) && snapshot.method.reason) ||
      (snapshot.basket && snapshot.basket.reason) || "Kitting was not told why";
    return plainMessage(reason.replace(/^no components: /, ""));
  }

  /** The providers that answered a quote round, in the order they answered. */
  function roundAnswered(snapshot, round) {
    return [...new Set((snapshot.offers || []).filter((o) => o.request_id === round.request_id).map((o) => o.provider_id))];
  }

  function waitingToRead(snapshot) {
    return snapshot.next === "wait-extraction" || (snapshot.basket && snapshot.basket.status === "pending");
  }

  function statusText(snapshot, components) {
    const round = last(snapshot.rounds);
    switch (snapshot.next) {
      case "wait-extraction": return Date.now() - (state.followedAt || 0) >= SLOW_READING_MS ? SLOW_READING : "Reading the page…";
      case "choose-components":
        return components.length ? `Found ${plural(components.length, "component", "components")}. Untick what you already have, then ask the shops.`
          : "This page has no components.";
      case "wait-offers": {
        if (!round) return "Asking the shops for quotes…";
        const asked = (round.addressed || []).length;
        const answered = roundAnswered(snapshot, round).length;
        if (round.status === "closed") return "Comparing the quotes…";
        return answered ? `${answered} of ${plural(asked, "shop", "shops")} answered`
          : `Asking ${plural(asked, "shop", "shops")} for quotes…`;
      }
      case "confirm-proposal": return "The quotes are in. Check the proposed order and confirm it.";
      case "wait-orders": {
        const confirmed = [...(snapshot.rounds || [])].reverse().find((r) => r.confirmed && r.selection);
        const count = confirmed ? confirmed.selection.providers.length
          : new Set((snapshot.orders || []).map((o) => o.provider_id)).size;
        return `Ordering from ${plural(count, "shop", "shops")}…`;
      }
      case "done": return snapshot.basket && snapshot.basket.status === "completed-partially" ? "Completed, with items missing" : "Completed";
      case "failed": return (snapshot.method && !(snapshot.method.components || []).length)
        ? "Kitting found nothing to buy on this page." : "This basket failed.";
      default: return waitingToRead(snapshot) ? statusText({ ...snapshot, next: "wait-extraction" }, components) : "";
    }
  }

  function render(snapshot) {
    state.snapshot = snapshot;
    const components = (snapshot.method && snapshot.method.components) || [];
    const empty = !!snapshot.method && components.length === 0 && snapshot.next !== "wait-extraction";
    setStatus(statusText(snapshot, components));
    $("open").hidden = !(empty || snapshot.next === "failed");
    $("no-components").hidden = !empty;
    if (empty) $("no-components").textContent = `${failureReason(snapshot)}. Check the address, or try another page.`.replace(/\.\. /, ". ");
    renderComponents(snapshot, snapshot.next === "choose-components" && components.length > 0);
    applyPreviousChoices(snapshot);
    renderFulfilment(snapshot);
    renderOffers(snapshot);
    renderProposal(snapshot, snapshot.next === "confirm-proposal");
    renderOrders(snapshot);
    renderOutcome(snapshot);
  }

  function groupComponents(components) {
    const groups = new Map();
    components.forEach((c) => {
      const title = c.group || KIND_TITLES[c.kind] || "Other things";
      if (!groups.has(title)) groups.set(title, []);
      groups.get(title).push(c);
    });
    return groups;
  }

  function componentItem(c, index) {
    const id = `component-box-${index}`;
    const box = el("input", { type: "checkbox", id, "data-testid": `component-${c.line_id}`, "data-line": c.line_id });
    box.checked = true;
    const amount = quantity(c.quantity);
    const text = el("span", { class: "component-text" },
      amount ? el("span", { class: "qty", "data-line": c.line_id, text: `${amount} ` }) : null,
      c.name || c.text,
      c.preparation && !(c.name || c.text || "").toLowerCase().includes(c.preparation.toLowerCase())  // no "25 mm, 25 mm"
        ? el("span", { class: "prep", text: `, ${c.preparation}` }) : null);
    const label = el("label", { for: id }, text,
      c.optional ? el("span", { class: "tag", text: "optional" }) : null,
      el("span", { class: "have-note", text: " — I already have it" }));
    return el("li", { class: "check" }, box, label);
  }

  function renderComponents(snapshot, show) {
    $("components").hidden = !show;
    if (!show) return;
    const method = snapshot.method;
    const key = `${state.basketId}|${method.components.map((c) => c.line_id).join(",")}`;
    $("components-title").textContent = method.title || "Components";
    $("method-yield").hidden = !method.method_yield;
    const made = String(method.method_yield || "").trim();
    $("method-yield").textContent = /^\d+([.,]\d+)?$/.test(made) ? `Makes ${made} servings`
      : /^\d/.test(made) ? `Makes ${made}` : made;  // "Serves 4-6" as the page says it
    if (key === state.componentsKey) return;
    state.componentsKey = key;
    let index = 0;
    const groups = [...groupComponents(method.components)].map(([title, items]) => el("fieldset", { class: "component-group" },
      el("legend", { text: title }),
      el("ul", { class: "component-list" }, items.map((c) => componentItem(c, index++)))));
    $("component-groups").replaceChildren(...groups);
    loadRegions([...new Set(method.components.map((c) => c.kind))]);  // no region where nobody sells the kit
    const servings = $("servings");
    $("servings-field").hidden = !method.method_yield;
    delete servings.dataset.touched;
    const fromPreferences = snapshot.preferences && snapshot.preferences.servings;
    const fromYield = /\d+/.exec(method.method_yield || "");
    servings.value = fromPreferences || (fromYield ? fromYield[0] : "");
    rescaleComponents();
  }

  /** servings / the number in the method's yield; 1 when either is unknown. */
  function servingsFactor(method) {
    const base = yieldNumber(method && method.method_yield);
    const raw = $("servings").value.trim();
    const servings = Number(raw);
    if (!base || !raw || !Number.isInteger(servings) || servings < 1) return 1;
    return servings / base;
  }

  /** Show the components' quantities for the servings chosen (as Kitting will ask the shops). */
  function rescaleComponents() {
    const method = state.snapshot && state.snapshot.method;
    if (!method) return;
    const factor = servingsFactor(method);
    const byLine = new Map((method.components || []).map((c) => [c.line_id, c]));
    document.querySelectorAll("#component-groups .qty").forEach((span) => {
      const c = byLine.get(span.dataset.line);
      if (c) span.textContent = `${quantity(scaledQuantity(c.quantity, factor))} `;
    });
    $("servings-note").textContent = factor === 1 ? ""
      : `Quantities are shown for ${$("servings").value.trim()} servings; the page's are for ${method.method_yield}.`;
  }

  function setRegion(region) {
    if (!region) return;
    const select = $("contact-region");
    if (![...select.options].some((o) => o.value === region)) select.append(el("option", { value: region, text: region }));
    select.value = region;
  }

  /** A basket that tries a failed one again starts from the choices made there (once). */
  function applyPreviousChoices(snapshot) {
    const previous = snapshot.previous_choices;
    const show = !!previous && snapshot.next === "choose-components";
    $("retrying").hidden = !show;
    state.contactKept = show && !!previous.contact_kept;
    $("contact-kept").hidden = !state.contactKept;
    if (!show || state.prefilledFor === state.basketId) return;
    state.prefilledFor = state.basketId;
    const have = new Set(previous.have || []);
    document.querySelectorAll("#component-groups input[type=checkbox]").forEach((box) => { box.checked = !have.has(box.dataset.line); });
    if (previous.servings) {
      $("servings").value = previous.servings;
      $("servings").dataset.touched = "1";
    }
    fillProfile(previous.profile);
    [["delivery", previous.delivery], ["payment", previous.payment]].forEach(([name, value]) => {
      const radio = document.querySelector(`input[name="${name}"][value="${value}"]`);
      if (radio) { radio.checked = true; radio.dataset.touched = "1"; }
    });
    applyPaymentRules();
    setRegion(previous.region);
    rescaleComponents();
  }

  function renderFulfilment(snapshot) {
    const slot = snapshot.next === "confirm-proposal" ? $("fulfilment-slot-proposal") : $("fulfilment-slot-quote");
    if ($("fulfilment").parentElement !== slot) slot.appendChild($("fulfilment"));
    const prefs = snapshot.preferences;
    if (!prefs) return;
    ["delivery", "payment"].forEach((name) => {
      const radios = [...document.querySelectorAll(`input[name="${name}"]`)];
      if (radios.some((r) => r.dataset.touched)) return;
      radios.forEach((r) => { r.checked = r.value === prefs[name]; });
    });
    applyPaymentRules();
  }

  function offerRow(offer, componentName) {
    const coverage = offer.coverage === "all" ? `All ${offer.lines_asked} items`
      : `${offer.lines_offered} of ${offer.lines_asked} items`;
    const missing = (offer.missing || []).map(componentName);
    return el("tr", { "data-testid": `offer-${offer.provider_id}`, class: offer.late ? "late" : null },
      el("th", { scope: "row" }, offer.provider_name || offer.provider_id,
        offer.late ? el("span", { class: "tag tag-late", text: "Late" }) : null),
      el("td", { "data-label": "Items" }, coverage,
        missing.length ? el("span", { class: "product", text: `Missing: ${missing.join(", ")}` }) : null),
      el("td", { "data-label": "Price", class: "num", text: money(offer.price) }),
      el("td", { "data-label": "Arrives in", text: duration(offer.eta_minutes) }),
      el("td", { "data-label": "Delivery", text: (offer.delivery_methods || []).map((m) => DELIVERY_NAMES[m] || m).join(", ") }));
  }

  function renderOffers(snapshot) {
    const round = last(snapshot.rounds);
    $("offers").hidden = !round;
    if (!round) return;
    const names = componentNames(snapshot);
    const offers = (snapshot.offers || []).filter((o) => o.request_id === round.request_id);
    $("offers-body").replaceChildren(...offers.map((o) => offerRow(o, (id) => names[id] || id)));
    $("offers-empty").hidden = offers.length > 0;
    $("offers-table").hidden = offers.length === 0;
    const waiting = (round.addressed || []).length - roundAnswered(snapshot, round).length;
    $("offers-waiting").textContent = round.status === "open" && waiting > 0
      ? `Waiting for ${plural(waiting, "more shop", "more shops")} (until ${clock(round.deadline)})`
      : (round.closed_by === "deadline" ? "The time for quotes is over." : "All shops answered.");
  }

  function proposalRound(snapshot) {
    return [...(snapshot.rounds || [])].reverse().find((r) => r.proposed && !r.confirmed) || null;
  }

  /** line_id -> the name the person knows it by (a merged need's own name too). */
  function lineNames(snapshot, round) {
    const names = componentNames(snapshot);
    ((round && round.lines) || []).forEach((l) => { names[l.line_id] = l.name; });
    return (id) => names[id] || id;
  }

  function acceptedFor(requestId) {
    if (!state.accepted.has(requestId)) state.accepted.set(requestId, new Set());
    return state.accepted.get(requestId);
  }

  function substitutePolicy(snapshot) {
    const profile = snapshot.preferences && snapshot.preferences.profile;
    return (profile && profile.substitutes) || "ask";
  }

  /** What the person can do about a line nobody supplies. */
  function missingAdvice(reason, policy) {
    if (!/substitute/i.test(reason || "")) return "Buy it elsewhere.";
    if (policy === "ask") return "Buy it elsewhere, or accept its substitute next time.";
    return "Buy it elsewhere, or allow substitutes (“Ask me about each one” under My priorities) next time.";
  }

  function missingList(items, policy) {
    return el("ul", null, items.map((m) => el("li", { "data-testid": `missing-${m.line_id}` },
      el("strong", { text: m.name }), m.reason ? `: ${m.reason}. ` : ". ",
      el("em", { text: missingAdvice(m.reason, policy) }))));
  }

  /** A substitute's reason and the person's per-line consent (unchecked until they tick it); under the
   *  "take close ones" policy the close substitutes are taken without asking, and it says so. */
  function substituteConsent(line, requestId, index, policy) {
    const reason = el("span", { class: "substitute-reason", "data-testid": `reason-${line.line_id}`, text: line.reason || "Not exactly what the page asks for." });
    if (policy === "similar") {
      return [reason, el("span", { class: "check accept", text: "Taken: your priorities take close substitutes" })];
    }
    const id = `accept-box-${index}`;
    const box = el("input", { type: "checkbox", id, "data-testid": `accept-${line.line_id}`, "data-line": line.line_id });
    box.checked = acceptedFor(requestId).has(line.line_id);
    box.addEventListener("change", () => {
      const accepted = acceptedFor(requestId);
      if (box.checked) accepted.add(line.line_id); else accepted.delete(line.line_id);
    });
    return [reason, el("span", { class: "check accept" }, box, el("label", { for: id, text: "Accept this substitute" }))];
  }

  function providerBlock(selection, providerId, providerName, lineName, requestId, counter, policy) {
    const lines = selection.lines.filter((l) => l.provider_id === providerId);
    const rows = lines.map((l) => el("tr", { "data-testid": `line-${l.line_id}`, class: l.substitute ? "substitute" : null },
      el("th", { scope: "row" }, lineName(l.line_id),
        l.substitute ? el("span", { class: "tag tag-substitute", text: "Substitute" }) : null,
        l.product && l.product.toLowerCase() !== String(lineName(l.line_id)).toLowerCase()
          ? el("span", { class: "product", text: l.product }) : null,
        l.substitute && requestId ? substituteConsent(l, requestId, counter.next++, policy) : null),
      el("td", { "data-label": "Packs", text: packsText(l.packs, l.pack) }),
      el("td", { "data-label": "Unit price", class: "num", text: money(l.unit_price) }),
      el("td", { "data-label": "Cost", class: "num", text: money(l.cost) }),
      el("td", { "data-label": "Left over", text: l.leftover ? `${leftoverText(l.leftover)} left over` : "—" })));
    const table = el("table", { class: "stack-table" },
      el("caption", { class: "visually-hidden", text: `What ${providerName} supplies` }),
      el("thead", null, el("tr", null, ["Component", "Packs", "Unit price", "Cost", "Left over"]
        .map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", null, rows));
    const delivery = (selection.deliveries || {})[providerId];
    let deliveryText = "Delivery: not given";
    if (delivery) {
      const minutes = delivery.eta_minutes ?? (delivery.eta_hours != null ? delivery.eta_hours * 60 : null);
      deliveryText = `Delivery: ${DELIVERY_NAMES[delivery.method] || delivery.method}, fee ${money(delivery.fee)}, arrives in ${duration(minutes)}`;
    }
    return el("div", { class: "provider-block", "data-testid": `proposal-${providerId}` },
      el("h3", { text: providerName }), el("div", { class: "table-wrap" }, table), el("p", { text: deliveryText }));
  }

  /** "Goods … + delivery … = total …", each amount as the backend added it up. */
  function totalsLine(amounts, total, id) {
    if (!amounts) return el("p", { class: "total", id }, "Total: ", el("strong", { text: money(total) }));
    return el("p", { class: "total", id },
      `Goods ${money(amounts.goods)} + delivery ${money(amounts.delivery)} = total `, el("strong", { text: money(amounts.total) }));
  }

  function coverageLine(coverage) {
    if (!coverage) return null;
    const n = coverage.substitutes;
    const substitutes = n ? `, ${n} of them ${n === 1 ? "a substitute" : "substitutes"}` : "";
    return el("p", { class: "coverage", id: "proposal-coverage" },
      el("strong", { text: `${coverage.covered} of ${plural(coverage.asked, "item", "items")}` }), substitutes);
  }

  function proposalSummary(snapshot, round, providerName) {
    const selection = round.selection;
    const lineName = lineNames(snapshot, round);
    const ids = [...selection.providers];
    selection.lines.forEach((l) => { if (!ids.includes(l.provider_id)) ids.push(l.provider_id); });
    const parts = [coverageLine(round.coverage)];
    const uncovered = (selection.uncovered || []).map((id) => ({ line_id: id, name: lineName(id), reason: (selection.reasons || {})[id] }));
    if (uncovered.length) {
      parts.push(el("div", { class: "message message-warning", id: "uncovered" },
        el("h3", { text: "Not covered by any shop" }), missingList(uncovered, substitutePolicy(snapshot))));
    }
    if (selection.by_hand) parts.push(el("p", { class: "muted", text: "You chose these shops by hand." }));
    const counter = { next: 0 };
    const policy = substitutePolicy(snapshot);
    ids.forEach((id) => parts.push(providerBlock(selection, id, providerName(id), lineName, round.request_id, counter, policy)));
    parts.push(totalsLine(round.amounts, selection.total, "proposal-total"));
    if (selection.latest_eta_minutes != null) {
      parts.push(el("p", { text: `Everything arrives within ${duration(selection.latest_eta_minutes)}.` }));
    }
    return parts.filter(Boolean);
  }

  function canDeliver(offer, delivery, payment) {
    return (offer.delivery_methods || []).includes(delivery) && (offer.payment_methods || []).includes(payment);
  }

  /** The shops to choose by hand: those that answered in time and can deliver and be paid as chosen. */
  function renderPicks(snapshot, round, providerName) {
    const delivery = radioValue("delivery");
    const payment = radioValue("payment");
    const offers = (snapshot.offers || []).filter((o) => o.request_id === round.request_id && !o.late);
    const answered = [...new Set(offers.map((o) => o.provider_id))];
    const ids = answered.filter((id) => offers.some((o) => o.provider_id === id && canDeliver(o, delivery, payment)));
    const key = `${round.request_id}|${ids.join(",")}|${delivery}|${payment}`;
    if (key === state.picksKey) return;
    const chosen = new Set([...document.querySelectorAll("#by-hand-list input:checked")].map((b) => b.value));
    state.picksKey = key;
    $("by-hand-list").replaceChildren(...ids.map((id, i) => {
      const box = el("input", { type: "checkbox", id: `pick-box-${i}`, value: id, "data-testid": `pick-${id}` });
      box.checked = chosen.has(id);
      return el("div", { class: "choice" }, box, el("label", { for: `pick-box-${i}`, text: providerName(id) }));
    }));
    const way = `${(DELIVERY_NAMES[delivery] || delivery || "").toLowerCase()} and ${(PAYMENT_RULES[payment] || {}).short || payment}`;
    $("by-hand-hint").textContent = !ids.length ? `No shop that answered can do ${way}: choose another way of delivery or payment.`
      : ids.length < answered.length ? `Only the shops that can do ${way} are listed.` : "";
    setDisabled($("confirm-by-hand"), !ids.length);
  }

  function renderProposal(snapshot, show) {
    const round = show ? proposalRound(snapshot) : null;
    $("proposal").hidden = !round;
    if (!round) return;
    const providerName = providerNames(snapshot);
    const selection = round.selection;
    const key = JSON.stringify([round.request_id, selection, round.coverage, round.amounts, substitutePolicy(snapshot)]);
    if (key !== state.proposalKey) {
      state.proposalKey = key;
      $("proposal-body").replaceChildren(...(selection
        ? proposalSummary(snapshot, round, providerName)
        : [el("p", { class: "message message-warning", text: "Kitting could not put together an order from these quotes. Choose shops by hand, or open another page." })]));
    }
    $("substitutes-note").hidden = !(selection && selection.lines.some((l) => l.substitute));
    setDisabled($("confirm-selection"), !selection || !selection.providers.length);
    renderPicks(snapshot, round, providerName);
  }

  /** A labelled badge: the words carry the state, the colour only repeats it. */
  function stateBadge(label, value) {
    if (!value) return null;
    const tone = GOOD_STATES.includes(value) ? " badge-good" : BAD_STATES.includes(value) ? " badge-bad" : "";
    return el("li", { class: `badge${tone}`, text: `${label}: ${value === "none" ? "not started" : value}` });
  }

  function orderItems(order, name) {
    const items = order.items || [];
    if (!items.length) return null;
    return el("ul", { class: "items", "aria-label": `Items from ${name}` }, items.map((item) => el("li", { "data-testid": `item-${item.line_id}` },
      el("span", { class: "item-name" }, el("strong", { text: item.name || item.line_id }),
        item.substitute ? el("span", { class: "tag tag-substitute", text: "Substitute" }) : null,
        el("span", { class: "product", text: item.product })),
      el("span", { class: "item-packs", text: packsText(item.packs, item.pack) }),
      el("span", { class: "item-cost num", text: money(item.cost) }))));
  }

  function orderCard(order) {
    const name = order.provider_name || order.provider_id;
    const method = DELIVERY_NAMES[order.delivery_method] || order.delivery_method;
    const amounts = order.goods && order.delivery_fee ? { goods: order.goods, delivery: order.delivery_fee, total: order.total } : null;
    return el("li", { class: "order", "data-testid": `order-${order.order_id}` },
      el("h3", { text: name }),
      orderItems(order, name),
      totalsLine(amounts, order.total, null),
      el("p", { class: "muted" }, [method, order.payment_method ? (PAYMENT_RULES[order.payment_method] || {}).short || order.payment_method : null]
        .filter(Boolean).join(" · ")),
      el("ul", { class: "badges", "aria-label": "State" },
        stateBadge("Order", order.status), stateBadge("Delivery", order.delivery), stateBadge("Payment", order.payment)),
      order.pickup_code && !BAD_STATES.includes(order.status) ? el("p", { class: "pickup", "data-testid": `pickup-${order.order_id}` },
        "Show this code at the counter: ", el("strong", { text: order.pickup_code })) : null,
      order.reason ? el("p", { text: `Reason: ${order.reason}` }) : null,
      order.replaces ? el("p", { class: "muted", text: `Replaces order ${order.replaces}` }) : null);
  }

  /** What happened, as a person says it ("Corner Grocer confirmed your order"); null for a step of
      Kitting's own bookkeeping that tells the person nothing. */
  function timelineText(entry, providerName) {
    const shop = providerName(entry.provider_id);
    const reason = entry.reason || "";
    const courier = /^attempt (\d+) by (\S+)/.exec(reason);
    const expected = /^expected at (\S+)/.exec(reason);
    const words = {
      "order:placed": `Kitting sent your order to ${shop}`,
      "order:confirmed": `${shop} confirmed your order`,
      "order:rejected": `${shop} could not take your order${reason ? `: ${reason}` : ""}`,
      "order:cancelled": `Your order from ${shop} was withdrawn${reason ? `: ${reason}` : ""}`,
      "order:completed": `Your order from ${shop} is complete`,
      "order:failed": `Your order from ${shop} was delivered but not paid`,
      "delivery:requested": courier
        ? `Kitting asked ${providerName(courier[2])} to deliver your order from ${shop}${courier[1] !== "1" ? ` (try ${courier[1]})` : ""}`
        : `Kitting arranged the delivery of your order from ${shop}`,
      "delivery:arranged": expected ? `The delivery is arranged: expected around ${dayAndClock(expected[1])}` : "The delivery is arranged",
      "delivery:collected": `Your order from ${shop} is on its way`,
      "delivery:delivered": `Your order from ${shop} was delivered`,
      "delivery:failed": `The delivery of your order from ${shop} failed${reason ? `: ${reason}` : ""}`,
      "delivery:cancelled": `The delivery of your order from ${shop} was called off`,
      "payment:authorising": null,
      "payment:authorised": "Your payment is reserved (not yet taken)",
      "payment:capturing": null,
      "payment:captured": "Your payment was taken",
      "payment:voiding": null,
      "payment:voided": "The reserved payment was released: nothing was taken",
      "payment:refunding": null,
      "payment:refunded": "Your payment was refunded",
      "payment:expecting": null,
      "payment:cash-due": `You pay ${shop} when you receive the order`,
      "payment:recording": null,
      "payment:cash-collected": `${shop} received your payment`,
      "payment:released": "Nothing is to be paid for this order",
      "payment:needs-attention": "The payment is taking longer than usual: Kitting's staff are looking at it",
      "payment:failed": `The payment failed${reason ? `: ${reason}` : ""}`,
    };
    const key = `${entry.aspect}:${entry.to}`;
    return key in words ? words[key] : `${shop}: ${entry.aspect} ${entry.to}`;
  }

  /** A time the person reads in their own time zone: "18:30", or "tomorrow 09:00". */
  function dayAndClock(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return String(iso || "");
    const time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    const today = new Date();
    const days = Math.round((new Date(date.toDateString()) - new Date(today.toDateString())) / 86400000);
    if (days === 0) return time;
    if (days === 1) return `tomorrow ${time}`;
    return `${date.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" })} ${time}`;
  }

  function timelineItem(entry, providerName) {
    const text = timelineText(entry, providerName);
    if (text === null) return null;
    return el("li", null, el("time", { datetime: entry.at, text: clock(entry.at) }), ` ${text}`);
  }

  function renderOrders(snapshot) {
    const orders = snapshot.orders || [];
    const timeline = (snapshot.timeline || []).map((t, i) => [t, i])
      .sort((a, b) => (Date.parse(a[0].at) - Date.parse(b[0].at)) || (a[1] - b[1])).map(([t]) => t);
    $("orders").hidden = !orders.length && !timeline.length;
    const providerName = providerNames(snapshot);
    $("order-list").replaceChildren(...orders.map(orderCard));
    $("timeline").replaceChildren(...timeline.map((t) => timelineItem(t, providerName)).filter(Boolean));
  }

  function renderOutcome(snapshot) {
    const done = snapshot.next === "done";
    const failed = snapshot.next === "failed";
    $("done").hidden = !done;
    const empty = !!snapshot.method && !((snapshot.method.components || []).length);
    $("failed").hidden = !failed || empty;  // an empty page says why beside its address, once
    if (done) {
      const orders = snapshot.orders || [];
      const completed = orders.filter((o) => o.status === "completed");
      const missing = (snapshot.basket && snapshot.basket.missing) || [];
      const key = JSON.stringify([completed.map((o) => o.order_id), missing]);
      if ($("done").dataset.key !== key) {
        $("done").dataset.key = key;
        $("done").className = `message ${missing.length ? "message-warning" : "message-success"}`;
        if (missing.length) {
          // the items delivered, and those missing, as the basket's end counts them
          const delivered = completed.reduce((n, o) => n + (o.items || []).length, 0);
          $("done").replaceChildren(
            el("p", { id: "kit-coverage" }, el("strong", { text: `Your kit is incomplete: ${delivered} of ${plural(delivered + missing.length, "item", "items")} delivered and paid.` })),
            el("p", { text: "Missing:" }), missingList(missing, substitutePolicy(snapshot)));
        } else {
          $("done").replaceChildren(el("p", { text: `Your kit is complete: ${plural(completed.length || orders.length, "order", "orders")} delivered and paid` }));
        }
      }
    }
    if (failed) {
      const text = `The basket failed: ${failureReason(snapshot)}`;
      if ($("failed").textContent !== text) $("failed").textContent = text;
    }
    const components = (snapshot.method && snapshot.method.components) || [];
    $("retry-block").hidden = !(failed && components.length);
  }

  /* --- the forms ------------------------------------------------------------------------- */

  function applyPaymentRules() {
    const delivery = radioValue("delivery");
    const hints = [];
    document.querySelectorAll('input[name="payment"]').forEach((input) => {
      const rule = PAYMENT_RULES[input.value];
      if (!rule) return;  // a page without its rules: every choice stays open, Kitting checks the pair
      input.disabled = !rule.fulfilments.includes(delivery);
      if (input.disabled && rule.unavailable) hints.push(rule.unavailable);
    });
    const chosen = document.querySelector('input[name="payment"]:checked');
    if (!chosen || chosen.disabled) {
      const first = document.querySelector('input[name="payment"]:not(:disabled)');
      if (first) first.checked = true;
    }
    $("payment-hint").textContent = hints.join(" ");
  }

  function collectProfile() {
    const first = radioValue("priority") || "cheapest";
    const raw = $("max-providers").value.trim();
    const max = raw ? Number(raw) : null;
    if (raw && (!Number.isInteger(max) || max < 1 || max > 50)) throw new UserError("“Most shops to order from” must be a whole number from 1 to 50.");
    const errors = [];
    const [preferred, excluded] = ["preferred-shops", "excluded-shops"].map((field) => {
      const { ids, unknown } = shopIds($(field).value);
      if (unknown.length) {
        const known = state.shops.map((shop) => shop.name).join(", ");
        errors.push({ field, message: `No shop is called ${unknown.map((u) => `“${u}”`).join(", ")}. The shops are: ${known}.` });
      }
      return ids;
    });
    if (errors.length) throw new FieldErrors(errors);
    return {
      order: first === "cheapest" ? ["cheapest"] : [first, "cheapest"],
      preferred,
      excluded,
      max_providers: max,
      substitutes: radioValue("substitutes") || "ask",
    };
  }

  function fillProfile(profile) {
    if (!profile) return;
    const first = (profile.order || [])[0];
    const radio = first && $(`priority-${first}`);
    if (radio) radio.checked = true;
    $("max-providers").value = profile.max_providers || "";
    $("preferred-shops").value = (profile.preferred || []).map(shopName).join(", ");
    $("excluded-shops").value = (profile.excluded || []).map(shopName).join(", ");
    const substitutes = $(`substitutes-${profile.substitutes || "ask"}`);
    if (substitutes) substitutes.checked = true;
  }

  function saveProfile() {
    clearError();
    $("profile-saved").textContent = "";
    try {
      const saved = writeStore(PROFILE_KEY, collectProfile());
      $("profile-saved").textContent = saved ? "Saved" : "Could not save on this device";
    } catch (e) {
      if (e instanceof FieldErrors) showFieldErrors(e.fields); else showError(e.message, $("save-profile"));
    }
  }

  function collectContact() {
    const contact = {};
    Object.entries(CONTACT_FIELDS).forEach(([id, key]) => { contact[key] = $(id).value.trim(); });
    contact.email = contact.email || null;
    if (state.contactKept && Object.values(contact).every((value) => !value)) return null;  // the kept one
    const missing = [["contact-name", "name", "Give your name: the shop and the courier need it."],
      ["contact-address", "street_address", "Give the street address the kit goes to."],
      ["contact-phone", "phone", "Give a phone number, for the courier or the shop to reach you."]]
      .filter(([, key]) => !contact[key]).map(([field, , message]) => ({ field, message }));
    if (missing.length) throw new FieldErrors(missing);
    return contact;
  }

  function collectServings() {
    const input = $("servings");
    if ($("servings-field").hidden || !input.dataset.touched || !input.value.trim()) return null;
    const n = Number(input.value);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new FieldErrors([{ field: "servings", message: "Servings must be a whole number from 1 to 1000." }]);
    return n;
  }

  async function askQuotes() {
    await withBusy([$("ask-quotes")], async () => {
      const have = [...document.querySelectorAll("#component-groups input[type=checkbox]")]
        .filter((b) => !b.checked).map((b) => b.dataset.line);
      const contact = collectContact();
      const body = { have, servings: collectServings(), profile: collectProfile(), delivery: radioValue("delivery"),
        payment: radioValue("payment"), region: $("contact-region").value || "default" };
      if (contact) {
        body.contact = contact;
        writeStore(CONTACT_KEY, $("remember-contact").checked ? contact : null);
      }
      await api("POST", basketPath("/quote"), body);
      if (state.snapshot && state.snapshot.next === "choose-components") setStatus("Asking the shops for quotes…");
    });
  }

  async function confirmSelection(providers) {
    const round = state.snapshot && proposalRound(state.snapshot);
    if (!round) return;
    await withBusy([$("confirm-selection"), $("confirm-by-hand")], async () => {
      if (providers && !providers.length) throw new UserError("Choose at least one shop.");
      const substitutes = new Set((round.selection ? round.selection.lines : []).filter((l) => l.substitute).map((l) => l.line_id));
      const accepted = [...acceptedFor(round.request_id)].filter((id) => substitutes.has(id));
      await api("POST", basketPath("/selection"), { request_id: round.request_id, providers,
        delivery: radioValue("delivery"), payment: radioValue("payment"), accept_substitutes: accepted });
      if (state.snapshot && state.snapshot.next === "confirm-proposal") setStatus("Ordering…");
    });
  }

  /** A new basket from the failed one's components, to choose again (its choices filled in). */
  async function tryAgain() {
    await withBusy([$("retry")], async () => {
      const data = await api("POST", basketPath("/retry"));
      const query = `?basket=${encodeURIComponent(data.basket_id)}&token=${encodeURIComponent(data.token)}`;
      window.history.replaceState(null, "", query);
      follow(data.basket_id, data.token);
      $("main").focus();
    });
  }

  function toggleByHand() {
    const panel = $("by-hand");
    panel.hidden = !panel.hidden;
    $("choose-by-hand").setAttribute("aria-expanded", String(!panel.hidden));
    if (!panel.hidden) { const first = panel.querySelector("input"); if (first) first.focus(); }
  }

  /* --- start ----------------------------------------------------------------------------- */

  function bindEvents() {
    const markTouched = (event) => { if (event.target.matches("input")) event.target.dataset.touched = "1"; };
    document.addEventListener("input", markTouched);
    document.addEventListener("change", markTouched);
    $("open-form").addEventListener("submit", (event) => { event.preventDefault(); openPage($("open-url").value.trim()); });
    document.querySelectorAll('input[name="delivery"]').forEach((r) => r.addEventListener("change", applyPaymentRules));
    // after markTouched: the shops to choose by hand follow the delivery and payment chosen
    document.addEventListener("change", (event) => {
      if (event.target.matches('input[name="delivery"], input[name="payment"]') && state.snapshot) render(state.snapshot);
    });
    $("servings").addEventListener("input", rescaleComponents);
    $("retry").addEventListener("click", tryAgain);
    $("save-profile").addEventListener("click", saveProfile);
    $("ask-quotes").addEventListener("click", askQuotes);
    $("confirm-selection").addEventListener("click", () => confirmSelection(null));
    $("choose-by-hand").addEventListener("click", toggleByHand);
    $("confirm-by-hand").addEventListener("click", () => confirmSelection(
      [...document.querySelectorAll("#by-hand-list input:checked")].map((b) => b.value)));
  }

  function restoreSaved() {
    fillProfile(readStore(PROFILE_KEY));
    const contact = readStore(CONTACT_KEY);
    if (!contact) return;
    Object.entries(CONTACT_FIELDS).forEach(([id, key]) => { $(id).value = contact[key] || ""; });
    $("remember-contact").checked = true;
  }

  function init() {
    bindEvents();
    restoreSaved();
    applyPaymentRules();
    loadDemoPages();
    loadRegions();
    loadShops();
    const params = new URLSearchParams(window.location.search);
    if (params.get("basket") && params.get("token")) {
      follow(params.get("basket"), params.get("token"));
    } else if (params.get("basket") && params.get("claim")) {
      claimBasket(params.get("basket"), params.get("claim"));
    } else if (params.get("url")) {
      $("open-url").value = params.get("url");
      openPage(params.get("url"));
    } else {
      setStatus("Open a recipe or a guide to start.");
    }
  }

  init();
}());
