// Polls a publication pack's status.json and updates the progress bar, sections, skipped
// artifacts and download link; no inline script, so the CSP holds.
(function () {
  "use strict";
  var root = document.getElementById("pack");
  if (!root) { return; }
  var url = root.getAttribute("data-status-url");
  function part(name) { return root.querySelector('[data-role="' + name + '"]'); }
  function badge(status) {
    var span = document.createElement("span");
    span.className = "badge badge-" + status;
    span.textContent = status;
    return span;
  }
  function render(s) {
    var status = part("status");
    status.textContent = s.status;
    status.className = "badge badge-" + s.status;
    part("counts").textContent = s.done + " / " + s.total;
    var zipName = part("zip-name");
    if (zipName) {
      zipName.textContent = s.zip_name || "";
    }
    part("progress").value = s.percent;
    part("progress").textContent = s.percent + "%";
    var list = part("sections");
    list.textContent = "";
    s.sections.forEach(function (section) {
      var li = document.createElement("li");
      li.setAttribute("data-section", section.name);
      li.appendChild(document.createTextNode(section.name + ": "));
      li.appendChild(badge(section.status));
      if (section.message && section.status !== "succeeded") {
        li.appendChild(document.createTextNode(" " + section.message));
      }
      list.appendChild(li);
    });
    var error = part("error");
    error.hidden = !s.error;
    error.textContent = s.error || "";
    var skipped = part("skipped");
    skipped.textContent = "";
    (s.skipped || []).forEach(function (item) {
      var li = document.createElement("li");
      var strong = document.createElement("strong");
      strong.textContent = item.artifact;
      li.appendChild(strong);
      li.appendChild(document.createTextNode(": " + item.reason));
      skipped.appendChild(li);
    });
    part("skipped-box").hidden = !(s.skipped && s.skipped.length);
    part("download").hidden = !(s.status === "succeeded" && s.download_url);
  }
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) { render(s); if (!s.finished) { setTimeout(poll, 1000); } })
      .catch(function () { setTimeout(poll, 5000); });
  }
  poll();
})();
