// The export page's "select all" box, wired here rather than by an inline handler (the
// Content-Security-Policy allows none): django-import-export's own function does the work.
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector("input.select-toggle");
  if (toggle && typeof onSelectToggleChange === "function") {
    toggle.addEventListener("change", onSelectToggleChange);
  }
});
