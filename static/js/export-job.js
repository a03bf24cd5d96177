/* A background export's page (templates/actions/export_job.html): its progress polled every
   2 s from its JSON state, without reloading; once the job is over, the page's body is fetched
   and swapped in (download link, reason of a failure). Without JavaScript, the page refreshes
   itself (a <meta> refresh inside <noscript>). */
(function () {
  "use strict";

  var section = document.querySelector("[data-export-job]");
  if (!section || !window.fetch) {
    return;
  }
  var status = document.getElementById("export-statut");
  var url = section.getAttribute("data-state-url");
  var INTERVAL = 2000;

  function swapBody() {
    return fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("export-job-corps");
        var body = document.getElementById("export-job-corps");
        if (fresh && body) {
          body.replaceWith(document.importNode(fresh, true));
        }
      });
  }

  function show(state) {
    var bar = document.getElementById("export-progression");
    if (bar && state.total) {
      bar.max = state.total;
      bar.value = state.fait;
      bar.textContent = state.fait.toLocaleString("fr-FR") + " sur " + state.total.toLocaleString("fr-FR");
    } else if (bar) {
      bar.removeAttribute("value");
    }
    if (status.textContent !== state.message) {
      status.textContent = state.message;
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (state) {
        if (state.termine) {
          return swapBody().then(function () {
            show(state);
          });
        }
        show(state);
        window.setTimeout(poll, INTERVAL);
      })
      .catch(function () {
        // A lost connection or a restarting server: try again a little later.
        window.setTimeout(poll, INTERVAL * 3);
      });
  }

  window.setTimeout(poll, INTERVAL);
})();
