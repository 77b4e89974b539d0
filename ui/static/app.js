// Progressive enhancement only: every page works without this file.
document.addEventListener("submit", function (e) {
  var msg = e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) e.preventDefault();
});
document.addEventListener("change", function (e) {
  // Filter forms apply as soon as a select changes.
  var f = e.target.form;
  if (f && f.hasAttribute("data-autosubmit") && e.target.tagName === "SELECT") f.submit();
});
// A tick-all box for lists of checkboxes (hidden without this file, where
// each row is ticked by hand), and a count of the ticked.
document.querySelectorAll("input[data-select-all]").forEach(function (all) {
  var form = all.form, name = all.getAttribute("data-select-all");
  if (!form) return;
  var boxes = function () { return form.querySelectorAll('input[type=checkbox][name="' + name + '"]'); };
  var sync = function () {
    var b = boxes(), n = 0;
    b.forEach(function (x) { if (x.checked) n++; });
    all.checked = n > 0 && n === b.length;
    all.indeterminate = n > 0 && n < b.length;
    var c = form.querySelector("[data-selected-count]");
    if (c) c.textContent = n + " ticked";
  };
  all.hidden = false;
  all.addEventListener("change", function () { boxes().forEach(function (x) { x.checked = all.checked; }); sync(); });
  form.addEventListener("change", function (e) { if (e.target !== all) sync(); });
  sync();
});
document.addEventListener("click", function (e) {
  var b = e.target.closest("[data-copy]");
  if (!b || !navigator.clipboard) return;
  var el = document.getElementById(b.getAttribute("data-copy"));
  navigator.clipboard.writeText(el.textContent.trim()).then(function () { b.textContent = "Copied"; });
});
// Drag and drop onto the upload area fills the file input (which also
// accepts drops by itself; this only widens the target and shows it).
document.querySelectorAll("form[data-dropzone]").forEach(function (form) {
  var zone = form.querySelector(".dropzone"), input = form.querySelector("input[type=file]");
  if (!zone || !input) return;
  ["dragenter", "dragover"].forEach(function (t) { zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); }); });
  ["dragleave", "drop"].forEach(function (t) { zone.addEventListener(t, function () { zone.classList.remove("over"); }); });
  zone.addEventListener("drop", function (e) {
    e.preventDefault();
    input.files = e.dataTransfer.files;
    zone.textContent = input.files.length + " file(s) ready";
  });
});
