// Live totals on the statement entry form: per table, the total and what is left to allocate or
// over-allocated, updated as the user types. The server computes the same figures after saving
// (grants/rules.py); this only mirrors them so nobody has to save to see where they stand.
(function () {
  "use strict";
  var form = document.getElementById("statement-form");
  if (!form) return;
  var grantInput = form.querySelector("[name=grant]");
  var msg = form.dataset;
  var mini = { short: msg.miniShort, over: msg.miniOver, ok: msg.miniOk };
  msg = { short: msg.msgShort, over: msg.msgOver, ok: msg.msgOk, invalid: msg.msgInvalid };

  var parseKroner = window.Kroner.parse, formatKroner = window.Kroner.format;

  function update() {
    var grant = parseKroner(grantInput ? grantInput.value : "0");
    [1, 2].forEach(function (table) {
      var total = 0, invalid = false;
      form.querySelectorAll("input.amount-input[data-table='" + table + "']").forEach(function (input) {
        var amount = parseKroner(input.value);
        if (amount === null) { invalid = true; input.setAttribute("aria-invalid", "true"); }
        else { total += amount; if (!input.closest("td").querySelector(".field-error")) input.removeAttribute("aria-invalid"); }
      });
      var totalOut = document.getElementById("total-" + table);
      var balance = document.getElementById("balance-" + table);
      if (totalOut) totalOut.textContent = formatKroner(total);
      if (!balance) return;
      var remaining = (grant || 0) - total;
      var text, state;
      // The words come from the template, translated there (gettext).
      if (invalid || grant === null) { text = msg.invalid; state = "over"; }
      else if (remaining > 0) { text = msg.short + ": " + window.Kroner.money(remaining); state = "short"; }
      else if (remaining < 0) { text = msg.over + ": " + window.Kroner.money(-remaining); state = "over"; }
      else { text = msg.ok; state = "ok"; }
      balance.textContent = text;
      balance.setAttribute("data-state", state);
      // The summary beside the buttons says the same in short.
      var summary = document.getElementById("balance-mini-" + table);
      if (summary) {
        var short = state === "ok" ? mini.ok : invalid || grant === null ? "?" :
          (remaining > 0 ? mini.short : mini.over) + " " + window.Kroner.money(Math.abs(remaining));
        summary.querySelector(".balance-text").textContent = short;
        summary.setAttribute("data-state", state);
      }
    });
  }

  // The remarks were computed by the server for the figures shown; once the user changes
  // anything they may no longer hold, so they say so until the next save.
  var warnings = document.getElementById("warnings");
  function markStale() {
    if (!warnings) return;
    warnings.classList.add("stale");
    warnings.querySelector(".stale-note").hidden = false;
  }

  form.addEventListener("input", update);
  form.addEventListener("input", markStale, { once: true });
  update();
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
