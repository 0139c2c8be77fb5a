/* Kitting snippet: turns the method on this page into a shopping basket. Add it to a page with
   <script src="https://kitting.example/snippet.js" data-site-key="ks_..." async></script>
   and optionally data-target="CSS selector" (where the button goes; default after the first h1). */
(function () {
  "use strict";
  if (window.Kitting) return;
  var script = document.currentScript ||
    document.querySelector('script[data-site-key][src*="snippet.js"]');
  if (!script) return;
  var base = new URL(".", script.src); // the Kitting base URL is where this script comes from
  var key = script.getAttribute("data-site-key") || "";
  var MAX_HTML_BYTES = 800000, KEEPALIVE_BYTES = 60000; // browsers cap keepalive bodies at 64 kB
  var pending = null, button = null, status = null;

  function bytes(text) { return new Blob([text]).size; }

  function body(withHtml) {
    var event = { url: location.href };
    if (document.title) event.title = document.title.slice(0, 1000);
    if (withHtml) {
      var html = document.documentElement.outerHTML, size = bytes(JSON.stringify(html));
      if (size > MAX_HTML_BYTES) html = html.slice(0, Math.floor(html.length * MAX_HTML_BYTES / size * 0.95));
      if (bytes(JSON.stringify(html)) <= MAX_HTML_BYTES) event.html = html; // else Kitting fetches the page
    }
    return JSON.stringify(event);
  }

  function post(json) {
    var options = {
      method: "POST", mode: "cors", credentials: "omit", body: json,
      headers: { "Content-Type": "application/json", "X-Kitting-Site-Key": key }
    };
    if (bytes(json) < KEEPALIVE_BYTES) options.keepalive = true; // survives leaving the page
    return fetch(new URL("v1/collect/browse", base).href, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        return { status: response.status, answer: answer };
      });
    });
  }

  function send() {
    pending = post(body(true)).then(function (got) {
      return got.status === 413 ? post(body(false)) : got; // too large: let Kitting fetch the page
    }).then(function (got) {
      if (got.status !== 202) {
        throw new Error(got.answer.detail || "Kitting answered " + got.status);
      }
      return got.answer;
    }, function () {
      throw new Error("Kitting could not be reached");
    });
    pending.catch(function () { pending = null; }); // a failed call is sent again on the next click
    return pending;
  }

  function open() {
    if (button.getAttribute("aria-busy") === "true") return;
    button.setAttribute("aria-busy", "true");
    status.textContent = "";
    (pending || send()).then(function (answer) {
      location.assign(new URL(answer.terminal_url, base).href);
    }, function (error) {
      button.removeAttribute("aria-busy");
      status.textContent = "Could not get the components: " + error.message + ". Press the button to try again.";
    });
  }

  function style() {
    var css = document.createElement("style");
    css.textContent =
      ".kitting-box{display:flex;flex-wrap:wrap;align-items:center;gap:.5em;margin:1em 0;font:inherit}" +
      ".kitting-button{min-height:44px;padding:.6em 1.2em;font:600 1rem/1.2 system-ui,sans-serif;" +
      "color:#fff;background:#1f6f43;border:2px solid #1f6f43;border-radius:.4em;cursor:pointer;" +
      "max-width:100%;white-space:normal}" +
      ".kitting-button:hover{background:#185735}" +
      ".kitting-button:focus-visible{outline:3px solid #f5b400;outline-offset:2px}" +
      ".kitting-button[aria-busy=true]{opacity:.7;cursor:progress}" +
      ".kitting-status{color:#a1260d;font-size:.95rem}";
    document.head.appendChild(css);
  }

  function place(element) {
    var target = null, selector = script.getAttribute("data-target");
    try { target = selector && document.querySelector(selector); } catch (e) { target = null; }
    var heading = document.querySelector("h1");
    if (target) target.appendChild(element);
    else if (heading) heading.insertAdjacentElement("afterend", element);
    else document.body.insertBefore(element, document.body.firstChild);
  }

  function start() {
    style();
    var box = document.createElement("div");
    box.className = "kitting-box";
    button = document.createElement("button");
    button.type = "button";
    button.className = "kitting-button";
    button.textContent = "Get the components";
    button.setAttribute("aria-label", "Get the components of this method from Kitting");
    status = document.createElement("span");
    status.className = "kitting-status";
    status.id = "kitting-status";
    status.setAttribute("role", "status");
    button.setAttribute("aria-describedby", status.id);
    button.addEventListener("click", open);
    box.appendChild(button);
    box.appendChild(status);
    place(box);
    send().catch(function () {}); // the reason is shown when the person clicks
  }

  window.Kitting = { send: send, open: open, base: base.href };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
