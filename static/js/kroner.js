// Whole Danish kroner in the browser, the same grammar as grants/money.py: plain digits, or
// groups of three split consistently by "." or by spaces. "" is unknown (counted as 0 in sums).
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
  function format(amount) {
    var digits = String(Math.abs(amount)), out = "";
    while (digits.length > 3) {
      out = "." + digits.slice(-3) + out;
      digits = digits.slice(0, -3);
    }
    return (amount < 0 ? "-" : "") + digits + out;
  }
  return { parse: parse, format: format };
})();
