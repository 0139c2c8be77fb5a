/* Kitting snippet: turns the method on this page into a shopping basket. Add it to a page with
   <script src="https://kitting.example/snippet.js" data-site-key="ks_..." async></script>
   and optionally data-target="CSS selector" (where the button goes; default after the first h1).

   It sends nothing until the person presses the button, and then only what extraction needs: the
   page's address (without its #fragment), its title, canonical address and first heading, its Recipe/HowTo structured
   data, the elements marked as ingredients, supplies, tools or yield, and the lists under headings
   such as "Ingredients" or "You will need". Nothing else of the page (a signed-in visitor's name, a
   comment, an account menu) leaves the browser. With none of that, only the address goes, and Kitting
   reads the page itself (public pages only). */
(function () {
  "use strict";
  if (window.Kitting) return;
  var script = document.currentScript ||
    document.querySelector('script[data-site-key][src*="snippet.js"]');
  if (!script) return;
  var base = new URL(".", script.src); // the Kitting base URL is where this script comes from
  var key = script.getAttribute("data-site-key") || "";
  var MAX_HTML_BYTES = 800000, KEEPALIVE_BYTES = 60000; // browsers cap keepalive bodies at 64 kB
  var pending = null, button = null, status = null; // nothing is sent before the person asks

  function bytes(text) { return new Blob([text]).size; }

  var METHOD_TYPES = /"@type"\s*:\s*(\[[^\]]*)?"(Recipe|HowTo)"/;
  // headings of a method's lists, in the languages recipe and DIY sites write most
  var LIST_HEADING = new RegExp("ingredi|supplies|materials|tools|equipment|you.?ll need|you will need|" +
    "what you need|shopping list|zutaten|material|werkzeug|ingrédients|matériel|ingredientes|ingredienti|" +
    "ingrediënten|benodigdheden|składniki|ingrediencie|suroviny|hozzávalók|ainekset|ingredienser|" +
    "υλικά|ингредиенты|malzemeler", "i");
  var MARKED = "[itemprop=recipeIngredient],[itemprop=ingredients],[itemprop=supply],[itemprop=tool]," +
    "[itemprop=recipeYield],[itemprop=yield],ul[class*=ingredient i],ol[class*=ingredient i]," +
    "table[class*=ingredient i],[class*=ingredient i] li,[class*=ingredient i] tr," +
    "ul[class*=supplies i],ul[class*=materials i],ul[class*=tools i]";
  var MAX_PART_CHARS = 100000;

  function escaped(text) {
    var holder = document.createElement("div");
    holder.textContent = text;
    return holder.innerHTML;
  }

  function level(element) {
    var match = /^H([1-6])$/.exec(element.tagName);
    return match ? Number(match[1]) : 7;
  }

  function listsUnder(heading) {
    var found = [], node = heading.nextElementSibling, own = level(heading);
    while (node && level(node) > own && found.length < 10) {
      if (node.tagName === "UL" || node.tagName === "OL") found.push(node);
      else found = found.concat(Array.prototype.slice.call(node.querySelectorAll("ul,ol"), 0, 10));
      node = node.nextElementSibling;
    }
    return found;
  }

  function methodHtml() {
    var head = [], parts = [], seen = [];
    document.querySelectorAll('script[type="application/ld+json"]').forEach(function (block) {
      if (METHOD_TYPES.test(block.textContent || "")) {
        head.push("<script type=\"application/ld+json\">" + block.textContent.replace(/<\//g, "<\\/") + "</script>");
      }
    });
    function keep(element) {
      if (seen.indexOf(element) < 0 && !seen.some(function (s) { return s.contains(element); })) {
        var html = element.outerHTML;
        if (html.length > MAX_PART_CHARS) return; // a whole page section, not a list
        seen.push(element);
        parts.push(html);
      }
    }
    document.querySelectorAll("h1,h2,h3,h4,h5,h6,strong,b,p").forEach(function (heading) {
      var text = (heading.textContent || "").trim();
      if (text.length < 60 && LIST_HEADING.test(text)) {
        var lists = listsUnder(heading.tagName === "STRONG" || heading.tagName === "B" ? heading.parentElement : heading);
        if (lists.length) parts.push("<h2>" + escaped(text) + "</h2>");
        lists.forEach(keep);
      }
    });
    document.querySelectorAll(MARKED).forEach(keep); // those not in a list kept already
    if (!head.length && !parts.length) return null; // nothing of a method here: Kitting reads the page
    var canonical = document.querySelector('link[rel="canonical"]');
    if (canonical && /^https?:/.test(canonical.href)) {
      head.push('<link rel="canonical" href="' + escaped(canonical.href).replace(/"/g, "&quot;") + '">');
    }
    var h1 = document.querySelector("h1"), scope = document.querySelector("[itemscope][itemtype]");
    var type = scope && /schema\.org\/(Recipe|HowTo)$/.test(scope.getAttribute("itemtype") || "")
      ? scope.getAttribute("itemtype") : null; // microdata keeps its scope, so it still reads as a method
    return "<html><head><title>" + escaped(document.title || "") + "</title>" + head.join("") +
      "</head><body" + (type ? ' itemscope itemtype="' + type + '"' : "") + ">" +
      (h1 ? "<h1>" + escaped(h1.textContent || "") + "</h1>" : "") + parts.join("") + "</body></html>";
  }

  function body(withHtml) {
    var event = { url: location.href.split("#")[0] };
    if (document.title) event.title = document.title.slice(0, 1000);
    if (withHtml) {
      var html = methodHtml();
      if (html && bytes(JSON.stringify(html)) <= MAX_HTML_BYTES) event.html = html; // else Kitting fetches the page
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
  }

  window.Kitting = { send: send, open: open, base: base.href };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
