// Whole Danish kroner in the browser, the same grammar as grants/money.py: typed as plain digits,
// or groups of three split consistently by "." or by spaces (the form is Danish in any language).
// "" is unknown (counted as 0 in sums).
window.Kroner = (function () {
  "use strict";
  function parse(text) {
    var value = (text || "").trim().replace(/\s*kr\.?$/i, "");
    if (value === "") return 0;
    if (/^\d+$/.test(value) || /^\d{1,3}(\.\d{3})+$/.test(value) ||
        /^\d{1,3}([ \u00a0\u202f]\d{3})+$/.test(value)) {
      return parseInt(value.replace(/\D/g, ""), 10);
    }
    return null; // not an amount: the server will name the field
  }
  // Shown by the page's language, as grants/money.py does: "11.280.000 kr." / "DKK 11,280,000".
  var english = (document.documentElement.lang || "da").slice(0, 2) === "en";
  function format(amount) {
    var digits = String(Math.abs(amount)), out = "", sep = english ? "," : ".";
    while (digits.length > 3) {
      out = sep + digits.slice(-3) + out;
      digits = digits.slice(0, -3);
    }
    return (amount < 0 ? "-" : "") + digits + out;
  }
  function money(amount) {
    return english ? "DKK " + format(amount) : format(amount) + " kr.";
  }
  return { parse: parse, format: format, money: money };
})();
