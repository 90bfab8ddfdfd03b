// Behaviour every page shares: the top bar's menus close on Escape and on a click elsewhere,
// and confirmations (toasts) can be dismissed.
(function () {
  "use strict";

  var MENUS = ".topbar details[open]";

  function closeMenu(menu, refocus) {
    menu.open = false;
    if (refocus) menu.querySelector("summary").focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var inside = event.target.closest && event.target.closest(MENUS);
    var open = inside ? [inside] : Array.prototype.slice.call(document.querySelectorAll(MENUS));
    if (!open.length) return;
    // A picker inside a menu closes its own list first (core/picker.js).
    if (event.defaultPrevented) return;
    event.preventDefault();
    open.forEach(function (menu) {
      // Focus goes back to the summary only if it was inside the menu that closed.
      closeMenu(menu, menu.contains(document.activeElement));
    });
  });

  document.addEventListener("click", function (event) {
    document.querySelectorAll(MENUS).forEach(function (menu) {
      if (!menu.contains(event.target)) closeMenu(menu, false);
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-dismiss]");
    if (!button) return;
    var toast = button.closest(".message");
    var list = toast.parentElement;
    toast.remove();
    if (!list.children.length) list.remove();
  });
})();
