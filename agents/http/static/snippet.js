/* Kitting snippet: turns the method on this page into a shopping basket. Add it to a page with
   <script src="https://kitting.example/snippet.js" data-site-key="ks_..." async></script>
   and optionally data-target="CSS selector" (where the button goes; default after the first h1).

   It sends nothing until the person presses the button, and then only what extraction needs: the
   page's address (without its #fragment), its title and canonical address, its Recipe/HowTo structured
   data, and the parts a method's list is read from, each where it stands on the page: the first
   heading, the elements named or marked as ingredients, supplies, tools or yield (with their group
   headings), what follows a heading such as "Ingredients" or "You will need" up to the method's
   steps, and the block around a list that reads like one (short lines giving amounts). The elements
   around those parts go as empty shells (tag, class, id and microdata, no text), so the page reads as
   it would whole. Nothing inside a navigation, footer, form, comment, account, profile or cart area,
   no typed field, script, image or link address leaves the browser. With none of that, only the
   address goes, and Kitting reads the page itself (public pages only). */
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
  // headings of a method's lists and of its steps, in the languages recipe and DIY sites write most
  var LIST_HEADING = new RegExp("ingredi|supplies|materials|tools|equipment|you.?ll need|you will need|" +
    "what you need|shopping list|zutaten|material|werkzeug|ingrédients|matériel|ingredientes|ingredienti|" +
    "ingrediënten|benodigdheden|składniki|ingrediencie|suroviny|sastojci|hozzávalók|ainekset|ingredienser|" +
    "υλικά|ингредиенты|продукты|malzemeler|מצרכים|المكونات|材料|食材|재료|nguyên liệu|bahan|ส่วนผสม", "i");
  var METHOD_HEADING = new RegExp("^\\s*(directions?|instructions?|method|preparation|steps|how to make|" +
    "zubereitung|anleitung|pr[ée]paration|[ée]tapes|preparaci[óo]n|elaboraci[óo]n|procedimento|" +
    "preparazione|modo de preparo|bereiding|werkwijze|fremgangsm[åa]de|tilberedning|przygotowanie|" +
    "valmistus|postup|elkészítés|yapılışı|приготовление|mod de preparare|priprema)", "i");
  var CLASSED = "[class*=ingredient i],[id*=ingredient i],[itemprop*=ingredient i]";
  var MARKED = "[itemprop=recipeIngredient],[itemprop=ingredients],[itemprop=supply],[itemprop=tool]," +
    "[itemprop=recipeYield],[itemprop=yield],[itemprop=step],[itemprop=recipeInstructions]," +
    "ul[class*=supplies i],ul[class*=materials i],ul[class*=tools i]";
  // where a visitor's own data lives: nothing inside these is ever sent (a word of a class or id, as
  // "comment-list" or "user-menu"; the body's own classes, often naming a whole theme's options, do not count)
  var PRIVATE_TAGS = /^(NAV|FOOTER|FORM|DIALOG)$/;
  var PRIVATE_WORDS = /(^|[\s_-])(comments?|account|login|signin|sign-in|profile|users?|newsletter|cart|kitting-box)($|[\s_-])/i;
  // what never helps reading a list: scripts, media, and every field a visitor may have typed into
  var DROPPED = "script,style,noscript,template,iframe,object,embed,img,picture,video,audio,canvas," +
    "input,textarea,select,button,svg *:not(title)";
  var ATTRIBUTES = ["class", "id", "itemprop", "itemscope", "itemtype", "content", "datetime", "lang"];
  var GROUP_TAGS = /^(H[2-6]|STRONG|B)$/;
  var MAX_PART_CHARS = 100000, MAX_PARTS = 200, MAX_SIBLINGS = 40, LIST_WORDS_AT_MOST = 25;

  function text(element) { return (element.textContent || "").replace(/\s+/g, " ").trim(); }

  function isPrivate(element) {
    for (var node = element; node && node !== document.body; node = node.parentElement) {
      if (PRIVATE_TAGS.test(node.tagName) ||
          PRIVATE_WORDS.test((node.getAttribute("class") || "") + " " + (node.id || ""))) return true;
    }
    return false;
  }

  function likeList(list) { // mostly lines giving an amount, none long like a step
    var items = Array.prototype.filter.call(list.children, function (c) { return c.tagName === "LI"; });
    if (items.length < 2 || list.closest("ul ul,ol ol,ul ol,ol ul,header,aside")) return false;
    var words = items.map(function (li) { return text(li).split(" ").length; });
    var numbered = items.filter(function (li) { return /[\d½¼¾⅓⅔⅛]/.test(text(li)); }).length;
    var total = words.reduce(function (a, b) { return a + b; }, 0);
    return Math.max.apply(null, words) <= LIST_WORDS_AT_MOST && total / words.length <= LIST_WORDS_AT_MOST / 2 &&
      numbered >= items.length / 2;
  }

  function methodParts() { // the elements a method's list is read from, as they stand on the page
    var parts = [];
    function add(element) { if (element && parts.length < MAX_PARTS && !isPrivate(element)) parts.push(element); }
    function addRun(first, stop) { // an element and the siblings after it, up to the next section
      add(first);
      for (var node = first.nextElementSibling, n = 0; node && n < MAX_SIBLINGS; node = node.nextElementSibling, n++) {
        if (stop(node)) break;
        add(node);
      }
    }
    add(document.querySelector("h1"));
    document.querySelectorAll(CLASSED + "," + MARKED).forEach(function (element) {
      add(element);
      Array.prototype.forEach.call(element.parentElement ? element.parentElement.children : [], function (near) {
        if (GROUP_TAGS.test(near.tagName) && text(near).length <= 60) add(near); // its group headings
      });
    });
    document.querySelectorAll("h1,h2,h3,h4,h5,h6,p,strong,b").forEach(function (heading) {
      var label = text(heading);
      if (label && label.length <= 60 && LIST_HEADING.test(label)) {
        addRun(heading, function (node) {
          return /^H[12]$/.test(node.tagName) || METHOD_HEADING.test(text(node).slice(0, 60));
        });
      }
    });
    document.querySelectorAll("ul,ol").forEach(function (list) {
      if (likeList(list) && list.parentElement && list.parentElement !== document.body) {
        addRun(list.parentElement.firstElementChild, function () { return false; });
      }
    });
    return parts;
  }

  function cleaned(element, doc) { // a copy without scripts, media, typed fields or other attributes
    var copy = doc.importNode(element, true);
    copy.querySelectorAll(DROPPED).forEach(function (e) { e.remove(); });
    [copy].concat(Array.prototype.slice.call(copy.querySelectorAll("*"))).forEach(function (e) {
      Array.prototype.slice.call(e.attributes).forEach(function (a) {
        if (ATTRIBUTES.indexOf(a.name) < 0) e.removeAttribute(a.name);
      });
    });
    var walker = doc.createTreeWalker(copy, NodeFilter.SHOW_COMMENT), comments = [];
    while (walker.nextNode()) comments.push(walker.currentNode);
    comments.forEach(function (c) { c.remove(); });
    return copy;
  }

  function methodHtml() {
    var doc = document.implementation.createHTMLDocument("");
    doc.title = document.title || "";
    var data = false;
    document.querySelectorAll('script[type="application/ld+json"]').forEach(function (block) {
      if (METHOD_TYPES.test(block.textContent || "")) {
        var kept = doc.createElement("script");
        kept.type = "application/ld+json";
        kept.textContent = block.textContent;
        doc.head.appendChild(kept);
        data = true;
      }
    });
    var parts = methodParts().sort(function (a, b) {
      return a === b ? 0 : (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1);
    });
    var kept = [], listed = false;
    parts.forEach(function (part) { // in page order, so an element comes after the one holding it
      if (kept.length && (kept[kept.length - 1] === part || kept.some(function (k) { return k.contains(part); }))) return;
      if ((part.outerHTML || "").length > MAX_PART_CHARS) return; // a whole page section, not a list
      kept.push(part);
      listed = listed || part.tagName !== "H1";
    });
    if (!data && !listed) return null; // nothing of a method here: Kitting reads the page
    var shells = new Map([[document.documentElement, doc.documentElement], [document.head, doc.head],
      [document.body, doc.body]]);
    function shell(element) { // where the part stood: its ancestors, with their names and no text
      if (!shells.has(element)) {
        var copy = doc.createElement(element.tagName.toLowerCase());
        ATTRIBUTES.forEach(function (name) {
          if (element.hasAttribute(name)) copy.setAttribute(name, element.getAttribute(name));
        });
        shell(element.parentElement).appendChild(copy);
        shells.set(element, copy);
      }
      return shells.get(element);
    }
    ATTRIBUTES.forEach(function (name) {
      if (document.body.hasAttribute(name)) doc.body.setAttribute(name, document.body.getAttribute(name));
    });
    kept.forEach(function (part) { shell(part.parentElement).appendChild(cleaned(part, doc)); });
    var canonical = document.querySelector('link[rel="canonical"]');
    if (canonical && /^https?:/.test(canonical.href)) {
      var link = doc.createElement("link");
      link.rel = "canonical";
      link.href = canonical.href;
      doc.head.appendChild(link);
    }
    return "<!doctype html>" + doc.documentElement.outerHTML;
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
