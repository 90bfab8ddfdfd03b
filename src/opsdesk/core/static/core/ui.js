// Behaviour every page shares: the top bar's menus close on Escape and on a click elsewhere,
// confirmations (toasts) can be dismissed, and lists with bulk actions (form[data-bulk]) get
// a select-all box and show their action bar only while rows are ticked.
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

  function bulkParts(form) {
    return {
      rows: Array.prototype.slice.call(form.querySelectorAll("tbody input[type=checkbox]")),
      all: form.querySelector("[data-select-all]"),
      bar: form.querySelector("[data-bulk-bar]"),
      count: form.querySelector("[data-bulk-count]"),
    };
  }

  function bulkRefresh(form) {
    var p = bulkParts(form);
    var ticked = p.rows.filter(function (box) {
      box.closest("tr").classList.toggle("selected", box.checked);
      return box.checked;
    }).length;
    if (p.bar) p.bar.hidden = ticked === 0;
    if (p.count) p.count.textContent = ticked === 1 ? "1 selected" : ticked + " selected";
    if (p.all) {
      p.all.checked = ticked > 0 && ticked === p.rows.length;
      p.all.indeterminate = ticked > 0 && ticked < p.rows.length;
    }
  }

  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form[data-bulk]");
    if (!form || event.target.type !== "checkbox") return;
    if (event.target.matches("[data-select-all]")) {
      bulkParts(form).rows.forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
    bulkRefresh(form);
  });

  function bulkInit() {
    document.querySelectorAll("form[data-bulk]").forEach(bulkRefresh);
  }
  document.addEventListener("DOMContentLoaded", bulkInit);
  // New rows (a filter, the next page) arrive unticked.
  document.addEventListener("htmx:afterSettle", bulkInit);
})();
