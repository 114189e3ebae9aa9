// Polls a background job's status and updates the page; no inline script, so the CSP holds.
(function () {
  "use strict";
  var root = document.getElementById("job");
  if (!root) { return; }
  var url = root.getAttribute("data-status-url");
  var filesBase = root.getAttribute("data-files-url");
  function part(name) { return root.querySelector('[data-role="' + name + '"]'); }
  function render(s) {
    var status = part("status");
    status.textContent = s.status;
    status.className = "badge badge-" + s.status;
    part("message").textContent = s.message || "";
    part("progress").value = s.progress;
    var error = part("error");
    error.hidden = !s.error;
    error.textContent = s.error || "";
    var list = part("files");
    if (s.files && s.files.length && !list.children.length) {
      s.files.forEach(function (f) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = filesBase + encodeURIComponent(f.name);
        a.textContent = f.name;
        li.appendChild(a);
        list.appendChild(li);
      });
    }
  }
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) { render(s); if (!s.finished) { setTimeout(poll, 1000); } })
      .catch(function () { setTimeout(poll, 5000); });
  }
  poll();
})();
