// The header's menu button on small screens (templates/base.html). Without this script the
// button stays hidden and the menu stays open: every link is reachable without JavaScript.
// Loaded right after the header, so a small screen never shows the open menu first.
(function () {
  var button = document.querySelector(".menu-button");
  var menu = document.getElementById("site-menu");
  if (!button || !menu || !window.matchMedia) { return; }
  var small = window.matchMedia("(max-width: 40rem)");

  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.hidden = !open;
  }

  function fit() {
    button.hidden = !small.matches;
    if (small.matches) { setOpen(false); } else { button.setAttribute("aria-expanded", "false"); menu.hidden = false; }
  }

  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  // Escape closes the open menu and returns to its button.
  menu.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && small.matches) { setOpen(false); button.focus(); }
  });
  if (small.addEventListener) { small.addEventListener("change", fit); }
  fit();
})();
