// The "Udskriv" button: no inline handlers, so the page works under a strict CSP.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
