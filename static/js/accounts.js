// Live figures on the accounts form: per row the difference to the budget, per table the actual
// total, whether the two tables agree, and the mindreforbrug or merforbrug against the grant. The server
// computes the same after saving (grants/rules.py compute_accounts); this only mirrors it.
(function () {
  "use strict";
  var form = document.getElementById("accounts-form");
  if (!form) return;
  var K = window.Kroner, d = form.dataset;
  var grant = parseInt(d.grant, 10);

  function update() {
    var totals = {}, invalid = false, entered = false;
    [1, 2].forEach(function (table) {
      var total = 0;
      form.querySelectorAll("input.actual-input[data-table='" + table + "']").forEach(function (input) {
        var amount = K.parse(input.value);
        if (input.value.trim() !== "") entered = true;
        var diffCell = document.getElementById("diff-" + input.dataset.row);
        if (amount === null) { invalid = true; if (diffCell) diffCell.textContent = "?"; return; }
        total += amount;
        if (diffCell) diffCell.textContent = input.value.trim() === "" ? "–" :
          K.format(amount - parseInt(input.dataset.budget || "0", 10));
      });
      totals[table] = total;
      var out = document.getElementById("actual-total-" + table);
      if (out) out.textContent = K.format(total);
      var diffTotal = document.getElementById("diff-total-" + table);
      if (diffTotal) diffTotal.textContent = K.format(total - parseInt(diffTotal.dataset.budget, 10));
    });
    var agree = document.getElementById("tables-agree");
    var unspent = document.getElementById("unspent");
    if (invalid) { agree.textContent = d.msgInvalid; agree.dataset.state = "over"; return; }
    unspent.hidden = !entered;
    if (!entered) { agree.textContent = d.msgEmpty; agree.dataset.state = "none"; return; }
    if (totals[1] === totals[2]) { agree.textContent = d.msgAgree; agree.dataset.state = "ok"; }
    else {
      agree.textContent = d.msgDisagree + " " + K.money(Math.abs(totals[1] - totals[2]));
      agree.dataset.state = "over";
    }
    var left = grant - totals[1];
    unspent.textContent = left >= 0 ? d.msgUnspent + ": " + K.money(left)
                                    : d.msgOverspent + ": " + K.money(-left);
    unspent.dataset.state = left >= 0 ? "short" : "over";
  }
  form.addEventListener("input", update);
  update();
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
