// Centinela labelling: select evidence spans in an ad's text with the mouse or the
// keyboard, per indicator. No framework, no inline script. Offsets are the server's:
// end-exclusive Unicode code points into the ad's text (JS strings count UTF-16 units,
// so every slice here goes through Array.from).
(function () {
  "use strict";
  var textEl = document.getElementById("label-text");
  if (!textEl) return;
  var form = textEl.closest("form");
  var SPAN = /^\s*(\d+)\s*[-:]\s*(\d+)\s*$/;

  // The text as the server cut it: plain runs and masked contact details.
  var runs = Array.prototype.map.call(textEl.querySelectorAll(".seg"), function (el) {
    return { start: +el.dataset.start, end: +el.dataset.end, masked: el.dataset.masked || null,
             label: el.textContent, chars: Array.from(el.textContent) };
  });
  var total = runs.length ? runs[runs.length - 1].end : 0;
  var lastSelection = null;  // [start, end] of the latest selection inside the text

  function rows() { return Array.prototype.slice.call(form.querySelectorAll("[data-label-row]")); }
  function row(ind) { return form.querySelector('[data-label-row="' + ind + '"]'); }
  function input(ind) { return form.querySelector('input[name="spans-' + ind + '"]'); }
  function box(ind) { return document.getElementById("mark-" + ind); }

  function parse(value) {
    var spans = [];
    value.split(",").forEach(function (part) {
      var m = SPAN.exec(part);
      if (m && +m[1] < +m[2]) spans.push([+m[1], +m[2]]);
    });
    return spans;
  }
  function format(spans) {
    return spans.map(function (s) { return s[0] + "-" + s[1]; }).join(", ");
  }
  function textOf(start, end) {
    var out = "";
    runs.forEach(function (run) {
      var s = Math.max(start, run.start), e = Math.min(end, run.end);
      if (s >= e) return;
      out += run.masked ? run.label : run.chars.slice(s - run.start, e - run.start).join("");
    });
    return out;
  }

  // Marked spans per indicator, from the offset inputs of ticked indicators.
  function marked() {
    var out = [];
    rows().forEach(function (tr) {
      var ind = tr.dataset.labelRow;
      if (!box(ind).checked) return;
      parse(input(ind).value).forEach(function (s) {
        out.push({ ind: ind, colour: tr.dataset.colour, start: s[0], end: s[1] });
      });
    });
    return out;
  }

  function render() {
    var spans = marked();
    var frag = document.createDocumentFragment();
    runs.forEach(function (run) {
      var cuts = [run.start, run.end];
      if (!run.masked) {
        spans.forEach(function (s) {
          [s.start, s.end].forEach(function (c) { if (c > run.start && c < run.end) cuts.push(c); });
        });
      }
      cuts = cuts.filter(function (c, i) { return cuts.indexOf(c) === i; }).sort(function (a, b) { return a - b; });
      for (var i = 0; i + 1 < cuts.length; i++) {
        var a = cuts[i], b = cuts[i + 1];
        var over = spans.filter(function (s) { return s.start < b && a < s.end; });
        var el = document.createElement(over.length ? "mark" : "span");
        el.className = "seg" + (run.masked ? " masked" : "") +
          (over.length ? " hl " + over[0].colour + (over.length > 1 ? " multi" : "") : "");
        el.dataset.start = a;
        el.dataset.end = b;
        if (run.masked) el.dataset.masked = run.masked;
        if (over.length) el.dataset.indicators = over.map(function (s) { return s.ind; }).join(" ");
        el.textContent = run.masked ? run.label : run.chars.slice(a - run.start, b - run.start).join("");
        frag.appendChild(el);
      }
    });
    textEl.replaceChildren(frag);
    rows().forEach(function (tr) {
      var ind = tr.dataset.labelRow;
      var list = tr.querySelector("[data-spans-for]");
      tr.classList.toggle("found", box(ind).checked);
      list.replaceChildren();
      parse(input(ind).value).forEach(function (s) {
        var li = document.createElement("li");
        li.className = "chip " + tr.dataset.colour;
        li.textContent = "“" + textOf(s[0], s[1]) + "” ";
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "link";
        remove.textContent = "×";
        remove.setAttribute("aria-label", "Remove this span from " + ind);
        remove.addEventListener("click", function () { setSpans(ind, parse(input(ind).value).filter(function (o) {
          return o[0] !== s[0] || o[1] !== s[1]; })); });
        li.appendChild(remove);
        list.appendChild(li);
      });
    });
  }

  function setSpans(ind, spans) {
    spans.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    input(ind).value = format(spans);
    render();
  }

  // A DOM position inside the text -> a character offset of the ad's text.
  function offsetOf(node, offset, isEnd) {
    if (node === textEl) {
      var child = textEl.childNodes[offset];
      return child ? +child.dataset.start : total;
    }
    var el = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
    var seg = el && el.closest(".seg");
    if (!seg || !textEl.contains(seg)) return null;
    var start = +seg.dataset.start, end = +seg.dataset.end;
    if (seg.dataset.masked) return isEnd ? end : start;  // a contact is taken whole
    if (node.nodeType !== Node.TEXT_NODE) return offset === 0 ? start : end;
    return start + Array.from(node.data.slice(0, offset)).length;
  }

  function currentSelection() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    var range = sel.getRangeAt(0);
    if (!textEl.contains(range.commonAncestorContainer) && range.commonAncestorContainer !== textEl) return null;
    var start = offsetOf(range.startContainer, range.startOffset, false);
    var end = offsetOf(range.endContainer, range.endOffset, true);
    if (start === null || end === null || start >= end) return null;
    return [start, end];
  }

  document.addEventListener("selectionchange", function () {
    var found = currentSelection();
    if (found) lastSelection = found;
  });

  function addSelection(ind) {
    var span = currentSelection() || lastSelection;
    if (!span) return false;
    box(ind).checked = true;
    var spans = parse(input(ind).value);
    if (!spans.some(function (s) { return s[0] === span[0] && s[1] === span[1]; })) spans.push(span);
    lastSelection = null;
    setSpans(ind, spans);
    var sel = window.getSelection();
    if (sel) sel.removeAllRanges();
    return true;
  }

  form.querySelectorAll("[data-add-span]").forEach(function (button) {
    // Keep the text selected while the button is pressed.
    button.addEventListener("mousedown", function (event) { event.preventDefault(); });
    button.addEventListener("click", function () { addSelection(button.dataset.addSpan); });
  });
  form.querySelectorAll('input[name="mark"]').forEach(function (el) { el.addEventListener("change", render); });
  form.querySelectorAll('input[name^="spans-"]').forEach(function (el) { el.addEventListener("change", render); });

  // Keyboard selection: arrows move by word, Shift extends, Up/Down choose the indicator.
  function active() {
    var radio = form.querySelector('input[name="active"]:checked');
    return radio ? radio.value : rows()[0].dataset.labelRow;
  }
  function firstText() {
    var walker = document.createTreeWalker(textEl, NodeFilter.SHOW_TEXT);
    return walker.nextNode();
  }
  textEl.addEventListener("focus", function () {
    var sel = window.getSelection();
    if (sel && (sel.rangeCount === 0 || !textEl.contains(sel.anchorNode))) {
      var node = firstText();
      if (node) sel.collapse(node, 0);
    }
  });
  textEl.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var sel = window.getSelection();
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      event.preventDefault();
      if (sel.rangeCount === 0) { var node = firstText(); if (node) sel.collapse(node, 0); }
      sel.modify(event.shiftKey ? "extend" : "move", event.key === "ArrowRight" ? "forward" : "backward", "word");
    } else if (event.key === "ArrowUp" || event.key === "ArrowDown") {
      event.preventDefault();
      var radios = Array.prototype.slice.call(form.querySelectorAll('input[name="active"]'));
      var at = radios.findIndex(function (r) { return r.checked; });
      var next = radios[(at + (event.key === "ArrowDown" ? 1 : radios.length - 1)) % radios.length];
      next.checked = true;
      rows().forEach(function (tr) { tr.classList.toggle("active", tr.dataset.labelRow === next.value); });
    } else if (event.key === "Enter") {
      event.preventDefault();
      addSelection(active());
    }
  });
  form.querySelectorAll('input[name="active"]').forEach(function (radio) {
    radio.addEventListener("change", function () {
      rows().forEach(function (tr) { tr.classList.toggle("active", tr.dataset.labelRow === radio.value); });
    });
  });

  render();
  var first = form.querySelector('input[name="active"]:checked');
  if (first) row(first.value).classList.add("active");
})();
