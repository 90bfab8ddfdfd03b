// Keyboard and pointer handling for the people and team pickers (core/widgets/picker.html).
// htmx fetches the options; this file only moves through them and writes the chosen one.
(function () {
  "use strict";

  function parts(input) {
    var box = input.closest("[data-picker]");
    return {
      box: box,
      list: box.querySelector("[role=listbox]"),
      status: box.querySelector("[data-picker-status]"),
    };
  }

  function options(list) {
    return Array.prototype.slice.call(list.querySelectorAll("[role=option]"));
  }

  function close(input) {
    var p = parts(input);
    p.list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(input, index) {
    var list = parts(input).list;
    var all = options(list);
    if (!all.length) return;
    index = (index + all.length) % all.length;
    all.forEach(function (option, n) {
      option.setAttribute("aria-selected", n === index ? "true" : "false");
    });
    input.setAttribute("aria-activedescendant", all[index].id);
    all[index].scrollIntoView({ block: "nearest" });
  }

  function current(input) {
    var id = input.getAttribute("aria-activedescendant");
    return id ? document.getElementById(id) : null;
  }

  function choose(input, option) {
    input.value = option.getAttribute("data-value");
    input.setAttribute("data-picked", input.value);
    close(input);
    parts(input).status.textContent = option.textContent.trim() + " chosen.";
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-picker-input]")) return;
    // Choosing writes the value; that is not a new search.
    if (input.value === input.getAttribute("data-picked")) event.preventDefault();
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var list = event.target;
    if (!list.matches || !list.matches("[data-picker] [role=listbox]")) return;
    var input = list.closest("[data-picker]").querySelector("[data-picker-input]");
    var all = options(list);
    all.forEach(function (option, n) {
      option.id = list.id + "-" + n;
    });
    var open = list.children.length > 0 && document.activeElement === input;
    list.hidden = !open;
    input.setAttribute("aria-expanded", open ? "true" : "false");
    input.removeAttribute("aria-activedescendant");
    parts(input).status.textContent = all.length
      ? all.length + " found; use the arrow keys to choose."
      : (list.textContent || "").trim();
  });

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-picker-input]")) return;
    var list = parts(input).list;
    var active = current(input);
    var all = options(list);
    var index = active ? all.indexOf(active) : -1;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!all.length) return;
      event.preventDefault();
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(input, event.key === "ArrowDown" ? index + 1 : index < 0 ? -1 : index - 1);
    } else if (event.key === "Enter" && active && !list.hidden) {
      event.preventDefault();
      choose(input, active);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      close(input);
    }
  });

  // mousedown, not click: the input would lose focus (and the list close) before a click lands.
  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest("[data-picker] [role=option]");
    if (!option) return;
    event.preventDefault();
    choose(option.closest("[data-picker]").querySelector("[data-picker-input]"), option);
  });

  document.addEventListener("focusout", function (event) {
    var input = event.target;
    if (input.matches && input.matches("[data-picker-input]")) close(input);
  });
})();
