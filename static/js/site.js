/* Small improvements on top of pages that work without JavaScript. */
(function () {
  "use strict";

  // On a fiche's page, offer to print it (the print stylesheet drops the site's chrome).
  var actions = document.querySelector("[data-print-target]");
  if (actions && window.print) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button--secondary print-button";
    button.textContent = "Imprimer cette fiche";
    button.addEventListener("click", function () {
      window.print();
    });
    actions.appendChild(button);
  }

  // On a wide screen the filters sit in a sidebar: show them unfolded.
  if (window.matchMedia && window.matchMedia("(min-width: 60em)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach(function (details) {
      details.open = true;
    });
  }
})();
